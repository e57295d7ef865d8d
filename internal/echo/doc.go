// Package echo is the demo upstream the local server runs for the demo
// tenant: a small http.Handler that describes the request it received, plus
// a couple of endpoints (/status/{code}, /items/{id}) that give the README
// tour something meaningful to call through the gateway.
//
// It is a development aid: it echoes every request header back, so it must
// only listen on a loopback address.
package echo
