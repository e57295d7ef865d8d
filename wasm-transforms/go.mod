module github.com/portico/portico/wasm-transforms

go 1.26.0
