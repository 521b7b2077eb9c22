module gohelper

go 1.19
