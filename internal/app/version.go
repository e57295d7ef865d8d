package app

// version is stamped at build time by `make build`
// (-ldflags "-X github.com/portico/portico/internal/app.version=<git describe>").
var version = "dev"

// Version is the build's version, logged with every line and reported by
// the functions at start.
func Version() string { return version }
