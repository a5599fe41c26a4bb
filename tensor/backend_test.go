package tensor

import (
	"os"
	"strings"
	"testing"
)

// TestBackendEnvHonoured fails when AUTODIDACT_BLAS asked for a backend
// that could not be used (openblas without the library, or a bad value),
// so a CI job that asks for OpenBLAS cannot silently test pure Go.
func TestBackendEnvHonoured(t *testing.T) {
	if err := BackendError(); err != nil {
		t.Fatalf("%s=%q: %v", BLASEnv, os.Getenv(BLASEnv), err)
	}
}

// TestSelectBackend: every value of AUTODIDACT_BLAS either selects a
// backend or returns an error naming the valid values, falling back to
// pure Go.
func TestSelectBackend(t *testing.T) {
	defer selectBackend(os.Getenv(BLASEnv))
	cases := []struct {
		value string
		ok    bool
	}{
		{"", true}, {"go", true}, {" GO ", true}, {"auto", true},
		{"bogus", false}, {"open-blas", false}, {"mkl", false},
	}
	for _, c := range cases {
		err := selectBackend(c.value)
		if (err == nil) != c.ok {
			t.Errorf("selectBackend(%q) = %v, want ok %v", c.value, err, c.ok)
		}
		if err != nil {
			for _, want := range []string{"openblas", "go", "empty"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("selectBackend(%q) error %q does not name %q", c.value, err, want)
				}
			}
			if Backend() != "pure Go" {
				t.Errorf("after %q the backend is %q, want the pure-Go fallback", c.value, Backend())
			}
		}
	}
}

// TestAutoBackend: with no choice made, a CPU with an assembly
// micro-kernel runs pure Go (no run-time library needed), and one without
// runs OpenBLAS when the library loads.
func TestAutoBackend(t *testing.T) {
	defer selectBackend(os.Getenv(BLASEnv))
	saved := goKernel
	defer func() { goKernel = saved }()
	if saved != nil && autoPrefersGo {
		if err := selectBackend(""); err != nil || Backend() != "pure Go" {
			t.Fatalf("auto with the %s kernel: backend %q, err %v; want pure Go", saved.name, Backend(), err)
		}
	}
	goKernel = nil
	if err := selectBackend(""); err != nil {
		t.Fatal(err)
	}
	_, obErr := loadOpenBLAS()
	if want := obErr == nil; strings.HasPrefix(Backend(), "OpenBLAS") != want {
		t.Fatalf("auto without an assembly kernel: backend %q, OpenBLAS loads: %v", Backend(), want)
	}
}
