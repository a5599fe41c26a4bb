package checkpoint

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// LockFile is the lock file a writer holds inside a run directory.
const LockFile = ".lock"

// LockedError is returned by LockDir when another process (or another
// writer in this one) holds the directory's lock.
type LockedError struct {
	Dir string
	PID int // the holder's process id as it wrote it in the lock file (0: unknown)
}

func (e *LockedError) Error() string {
	if e.PID > 0 {
		return fmt.Sprintf("%s is in use by another run (process %d holds %s); wait for it or choose another directory", e.Dir, e.PID, filepath.Join(e.Dir, LockFile))
	}
	return fmt.Sprintf("%s is in use by another run (%s is locked); wait for it or choose another directory", e.Dir, filepath.Join(e.Dir, LockFile))
}

// DirLock is an exclusive lock on a directory (flock on dir/.lock),
// released by Unlock or when the process dies, however it dies.
type DirLock struct {
	f *os.File
}

// LockDir takes the exclusive lock of dir (which must exist) without
// waiting: a second writer gets a *LockedError naming the holder's pid.
// The lock is per open file, so two writers in one process exclude each
// other too.
func LockDir(dir string) (*DirLock, error) {
	path := filepath.Join(dir, LockFile)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := flock(f); err != nil {
		defer f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) || errors.Is(err, syscall.EAGAIN) {
			b, _ := os.ReadFile(path)
			pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
			return nil, &LockedError{Dir: dir, PID: pid}
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	// Record the holder for whoever is refused next.
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &DirLock{f: f}, nil
}

// Unlock releases the lock (the file stays; it is the lock's, not data).
func (l *DirLock) Unlock() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := l.f.Close() // closing the file releases the flock
	l.f = nil
	return err
}

// DirEntries lists what dir holds besides its lock file, sorted (at most
// 6 names, the last one saying how many more there are).
func DirEntries(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if e.Name() != LockFile {
			names = append(names, e.Name())
		}
	}
	if len(names) > 6 {
		names = append(names[:5], fmt.Sprintf("%d more", len(names)-5))
	}
	return names, nil
}
