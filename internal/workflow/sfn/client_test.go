package sfn

import "testing"

func TestNewClientEndpointFromEnv(t *testing.T) {
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_ACCESS_KEY_ID", "x")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "y")
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
	t.Setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "")
	tests := []struct {
		name, global, sfn, want string
	}{
		{"service specific", "", "http://sfn.local:4566", "http://sfn.local:4566"},
		{"global", "http://localstack:4566", "", "http://localstack:4566"},
		{"service specific wins", "http://localstack:4566", "http://sfn.local:8083", "http://sfn.local:8083"},
		{"none", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("AWS_ENDPOINT_URL", tt.global)
			t.Setenv("AWS_ENDPOINT_URL_SFN", tt.sfn)
			c, err := NewClient(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			if p := c.Options().BaseEndpoint; p != nil {
				got = *p
			}
			if got != tt.want {
				t.Errorf("BaseEndpoint = %q, want %q", got, tt.want)
			}
		})
	}
}
