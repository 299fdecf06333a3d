module libprof/bench/go

go 1.19

require libprof/go v0.0.0

replace libprof/go => ../../go
