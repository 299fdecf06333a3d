module gohost

go 1.19
