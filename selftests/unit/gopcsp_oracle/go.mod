module gopcsp_oracle

go 1.19
