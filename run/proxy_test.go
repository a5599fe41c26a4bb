package run

import "testing"

func TestProxyReward(t *testing.T) {
	c := ProxyConfig{LastDigit: 0.5, Length: 0.5}
	for _, tc := range []struct {
		pred, gold string
		want       float64
	}{
		{"825", "825", 1},   // right: both
		{"815", "825", 1},   // a wrong middle digit: the proxy cannot tell
		{"826", "825", 0.5}, // right length only
		{"25", "825", 0.5},  // right last digit only
		{"7", "825", 0},
		{"", "825", 0}, // no answer line
		{"5", "", 0},
	} {
		if got := c.Proxy(tc.pred, tc.gold); got != tc.want {
			t.Errorf("Proxy(%q, %q) = %v, want %v", tc.pred, tc.gold, got, tc.want)
		}
	}
}
