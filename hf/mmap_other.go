//go:build !unix

package hf

import "os"

// mapFile reads the whole file (no mmap on this platform).
func mapFile(path string) ([]byte, func(), error) {
	data, err := os.ReadFile(path)
	return data, func() {}, err
}
