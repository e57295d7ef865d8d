package ratelimit_test

import (
	"testing"

	"github.com/portico/portico/internal/ratelimit"
	"github.com/portico/portico/internal/ratelimit/ratelimittest"
)

func TestMemoryConformance(t *testing.T) {
	m := ratelimit.NewMemory()
	ratelimittest.Run(t, func() ratelimit.Store { return m })
}
