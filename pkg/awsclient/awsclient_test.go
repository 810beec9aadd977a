package awsclient

import (
	"testing"

	"github.com/rollout-dev/rollout/pkg/config"
)

func TestUseTestCredentials(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want bool
	}{
		{name: "nothing set", env: nil, want: true},
		{name: "access key set", env: map[string]string{"AWS_ACCESS_KEY_ID": "AKIA"}, want: false},
		{name: "profile set", env: map[string]string{"AWS_PROFILE": "dev"}, want: false},
		{name: "only secret set", env: map[string]string{"AWS_SECRET_ACCESS_KEY": "x"}, want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := UseTestCredentials(func(name string) string { return tt.env[name] })
			if got != tt.want {
				t.Errorf("UseTestCredentials = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestEndpoint(t *testing.T) {
	settings := config.AWS{
		Endpoint:  "http://127.0.0.1:4566",
		Endpoints: map[string]string{"dynamodb": "http://127.0.0.1:4567"},
	}
	tests := []struct {
		settings config.AWS
		service  string
		want     string
	}{
		{settings: settings, service: "s3", want: "http://127.0.0.1:4566"},
		{settings: settings, service: "dynamodb", want: "http://127.0.0.1:4567"},
		{settings: config.AWS{Endpoints: map[string]string{"s3": "http://127.0.0.1:9000"}}, service: "dynamodb", want: ""},
		{settings: config.AWS{}, service: "s3", want: ""},
	}
	for _, tt := range tests {
		if got := Endpoint(tt.settings, tt.service); got != tt.want {
			t.Errorf("Endpoint(%+v, %s) = %q, want %q", tt.settings, tt.service, got, tt.want)
		}
	}
}
