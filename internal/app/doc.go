// Package app wires Portico's components from the environment: it is the one
// place that reads configuration, picks adapters (embedded bbolt or
// DynamoDB), and assembles the gateway and management handlers. The Lambda
// mains and the local all-in-one server are thin callers of this package.
package app
