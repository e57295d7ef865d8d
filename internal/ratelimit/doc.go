// Package ratelimit decides whether a request fits a rate limit: fixed
// window, sliding window (weighted two-window counter) and token bucket
// (GCRA). The algorithms are pure functions of a small state (Evaluate);
// a Store keeps that state per key and applies Evaluate atomically. Memory
// is the in-process Store; subpackages redis and dynamo share state across
// gateway instances, and ratelimittest is the conformance suite all three
// pass. docs/ratelimit.md gives the algorithms' bounds and the storage
// layouts.
package ratelimit
