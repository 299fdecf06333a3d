module libprof/go

go 1.19
