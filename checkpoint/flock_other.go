//go:build !unix

package checkpoint

import "os"

// flock is a no-op where flock(2) does not exist: directories are not
// protected against a second writer there.
func flock(*os.File) error { return nil }
