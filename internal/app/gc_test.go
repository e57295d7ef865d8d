package app

import "testing"

func TestGCSettings(t *testing.T) {
	tests := []struct {
		name        string
		env         map[string]string
		wantOK      bool
		wantPercent int
		wantLimit   int64
	}{
		{"outside Lambda", nil, false, 0, 0},
		{"Lambda 1024 MB", map[string]string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1024"}, true, -1, 768 << 20},
		{"Lambda 128 MB", map[string]string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128"}, true, -1, 96 << 20},
		{"GOGC set by the operator", map[string]string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1024", "GOGC": "100"}, false, 0, 0},
		{"GOMEMLIMIT set by the operator", map[string]string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1024", "GOMEMLIMIT": "500MiB"}, false, 0, 0},
		{"bad memory size", map[string]string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "lots"}, false, 0, 0},
		{"zero memory size", map[string]string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "0"}, false, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, l, ok := gcSettings(func(k string) string { return tt.env[k] })
			if ok != tt.wantOK || p != tt.wantPercent || l != tt.wantLimit {
				t.Errorf("gcSettings = (%d, %d, %v), want (%d, %d, %v)", p, l, ok, tt.wantPercent, tt.wantLimit, tt.wantOK)
			}
		})
	}
}
