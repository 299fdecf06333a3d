//go:build provider

package main

import _ "libprof/go"
