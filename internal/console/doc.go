// Package console serves the tenant web console, the single-page app built
// from frontend/ (npm ci + vite build into frontend/dist), under a path
// prefix of the local server ("/console/").
//
// Hashed build assets (assets/*) are cached for a year as immutable; every
// other file, and index.html above all, must be revalidated (no-cache), so a
// new build is picked up on the next load. Paths that are not files fall back
// to index.html, so deep links (/console/apis/shop) reach the client router;
// a missing asset is a 404, never index.html served as JavaScript. Every
// answer carries the security headers, including a Content-Security-Policy
// that allows only this origin's scripts and the management API beside it.
//
// The directory is read on each request, not embedded: `go build ./...`
// does not need Node, and a rebuilt console is served without a restart.
// In AWS the same build output is deployed to S3 behind CloudFront instead.
package console
