package run

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/autodidact-rl/autodidact/checkpoint"
)

// LockedError is the error of a run (or resume) refused because another
// process writes its directory; PID names the holder.
type LockedError = checkpoint.LockedError

// LockFile is the lock file inside a run directory (its content is the
// writer's pid; the lock itself is flock(2), released when the writer
// exits however it exits).
const LockFile = checkpoint.LockFile

// plainName is what a recipe name (and so a default run directory's last
// part) may be made of.
var plainName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// ValidName reports whether name can name a recipe and its run
// directory: letters, digits, '.', '_' and '-', not starting with '.' or
// '-' (so never "..", a path or an option).
func ValidName(name string) error {
	if !plainName.MatchString(name) || len(name) > 100 {
		return fmt.Errorf("recipe name %q: want a plain name of at most 100 letters, digits, '.', '_' and '-' (it names the run directory)", name)
	}
	return nil
}

// DefaultDir creates and returns a new, empty run directory under root
// named <YYYYMMDD-HHMMSS>-<name>: with -2, -3, ... appended when that
// exists already, so two runs started in the same second never share a
// directory (os.Mkdir creates it atomically; EEXIST moves on).
func DefaultDir(root, name string) (string, error) {
	if err := ValidName(name); err != nil {
		return "", err
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return "", err
	}
	base := filepath.Join(root, time.Now().Format("20060102-150405")+"-"+name)
	for i := 1; i < 10000; i++ {
		dir := base
		if i > 1 {
			dir = fmt.Sprintf("%s-%d", base, i)
		}
		err := os.Mkdir(dir, 0o755)
		if err == nil {
			return dir, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return "", err
		}
	}
	return "", fmt.Errorf("no free run directory name under %s for %s", root, base)
}

// compareFailureNote is the note compare leaves in a cell directory whose
// last attempt failed (compare.FailedFile); a cell that failed before
// writing anything is started afresh over it.
const compareFailureNote = "failed.txt"

// checkFresh refuses a directory for a new run unless it is empty (its
// lock file aside): a new run never overwrites anything.
func checkFresh(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	var names []string
	run := false
	for _, e := range entries {
		if e.Name() == LockFile || e.Name() == compareFailureNote {
			continue
		}
		names = append(names, e.Name())
		switch e.Name() {
		case ConfigFile, MetricsFile, CheckpointDir, SummaryFile:
			run = true
		}
	}
	if len(names) == 0 {
		return nil
	}
	sort.Strings(names)
	list := strings.Join(names, ", ")
	if len(names) > 5 {
		list = strings.Join(names[:5], ", ") + fmt.Sprintf(" and %d more", len(names)-5)
	}
	if run {
		return fmt.Errorf("%s already holds a run (%s); use --resume to continue it, or choose a new directory", dir, list)
	}
	return fmt.Errorf("%s is not empty (it holds %s); a new run needs a new or empty directory", dir, list)
}
