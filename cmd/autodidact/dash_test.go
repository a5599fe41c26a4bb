package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDashArgs: dash refuses bad arguments before listening.
func TestDashArgs(t *testing.T) {
	file := filepath.Join(t.TempDir(), "f")
	os.WriteFile(file, nil, 0o644)
	cases := []struct {
		args []string
		want string
	}{
		{nil, "give at least one run directory"},
		{[]string{filepath.Join(t.TempDir(), "missing")}, "no such file"},
		{[]string{file}, "is not a directory"},
		{[]string{"--addr", "256.0.0.1:1", t.TempDir()}, "dash: listen"},
		{[]string{"--nope"}, "unknown flag: --nope"},
	}
	for _, c := range cases {
		var out, errb bytes.Buffer
		err := dispatch(append([]string{"dash"}, c.args...), &out, &errb)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("dash %q = %v, want an error containing %q", c.args, err, c.want)
		}
	}
}
