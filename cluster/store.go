package cluster

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/autodidact-rl/autodidact/run"
)

// A cell's run directory lives in the sweep's object store as a snapshot:
// content-addressed blobs (CELL/blob/SHA256, immutable) and a manifest
// (CELL/manifest.json) naming each file's blob. A snapshot is published by
// writing its manifest after all its blobs, so a reader always sees a whole,
// consistent run directory: the one of the last checkpoint uploaded, or the
// finished run.

// manifest is one snapshot of a run directory.
type manifest struct {
	Files map[string]string `json:"files"`           // slash path -> blob (hex SHA-256)
	Links map[string]string `json:"links,omitempty"` // slash path -> symlink target
	Step  int               `json:"gstep"`           // global step of the checkpoint it holds
	Done  bool              `json:"done"`            // the run finished: summary.json is there
	By    string            `json:"by"`              // the worker that wrote it
}

func manifestName(cell string) string    { return cell + "/manifest.json" }
func blobName(cell, sum string) string   { return cell + "/blob/" + sum }
func logName(cell string) string         { return cell + "/log" }
func errNotFound(err error) bool         { return errors.Is(err, jetstream.ErrObjectNotFound) }
func skipUpload(rel string) bool         { return rel == run.LockFile || strings.HasSuffix(rel, ".tmp") }
func hexSum(b []byte) string             { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }
func localPath(dir, rel string) string   { return filepath.Join(dir, filepath.FromSlash(rel)) }
func cleanRel(rel string) (string, bool) { c := path.Clean(rel); return c, c == rel && validRel(c) }
func validRel(rel string) bool {
	return rel != "." && !path.IsAbs(rel) && !strings.HasPrefix(rel, "../") && rel != ".."
}

// readManifest returns the cell's newest snapshot, or nil when it has none.
func readManifest(ctx context.Context, store jetstream.ObjectStore, cell string) (*manifest, error) {
	ctx, cancel := transferContext(ctx, 0)
	defer cancel()
	b, err := store.GetBytes(ctx, manifestName(cell))
	if errNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read manifest of %s: %w", cell, err)
	}
	m := &manifest{}
	if err := json.Unmarshal(b, m); err != nil {
		return nil, fmt.Errorf("manifest of %s: %w", cell, err)
	}
	for rel, sum := range m.Files {
		if _, ok := cleanRel(rel); !ok || len(sum) != 64 {
			return nil, fmt.Errorf("manifest of %s: bad entry %q -> %q", cell, rel, sum)
		}
	}
	for rel := range m.Links {
		if _, ok := cleanRel(rel); !ok {
			return nil, fmt.Errorf("manifest of %s: bad link %q", cell, rel)
		}
	}
	return m, nil
}

// uploader publishes snapshots of one run directory.
type uploader struct {
	store jetstream.ObjectStore
	cell  string
	dir   string
	by    string
	have  map[string]bool // blobs known to be in the store
	mine  map[string]bool // blobs of this uploader's last manifest
}

func newUploader(store jetstream.ObjectStore, cell, dir, by string) *uploader {
	return &uploader{store: store, cell: cell, dir: dir, by: by, have: map[string]bool{}, mine: map[string]bool{}}
}

// upload publishes the run directory as it is now: the blobs it lacks,
// then the manifest; then it deletes the blobs of its previous snapshot
// that the new one no longer names (pruned checkpoints).
func (u *uploader) upload(ctx context.Context, step int, done bool) error {
	m := &manifest{Files: map[string]string{}, Links: map[string]string{}, Step: step, Done: done, By: u.by}
	err := filepath.WalkDir(u.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(u.dir, p)
		if err != nil || rel == "." {
			return err
		}
		rel = filepath.ToSlash(rel)
		if d.IsDir() || skipUpload(rel) {
			return nil
		}
		if d.Type()&fs.ModeSymlink != 0 {
			t, err := os.Readlink(p)
			if err != nil {
				return err
			}
			m.Links[rel] = t
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		data, err := os.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			return nil // removed while walking (a temporary file)
		}
		if err != nil {
			return err
		}
		sum := hexSum(data)
		m.Files[rel] = sum
		if u.have[sum] {
			return nil
		}
		pctx, cancel := transferContext(ctx, len(data))
		_, err = u.store.PutBytes(pctx, blobName(u.cell, sum), data)
		cancel()
		if err != nil {
			return fmt.Errorf("upload %s/%s: %w", u.cell, rel, err)
		}
		u.have[sum] = true
		return nil
	})
	if err != nil {
		return err
	}
	b, _ := json.Marshal(m)
	pctx, cancel := transferContext(ctx, len(b))
	_, err = u.store.PutBytes(pctx, manifestName(u.cell), b)
	cancel()
	if err != nil {
		return fmt.Errorf("upload manifest of %s: %w", u.cell, err)
	}
	now := map[string]bool{}
	for _, sum := range m.Files {
		now[sum] = true
	}
	for sum := range u.mine {
		if !now[sum] {
			if err := u.store.Delete(ctx, blobName(u.cell, sum)); err == nil || errNotFound(err) {
				delete(u.have, sum)
			}
		}
	}
	u.mine = now
	return nil
}

// download writes the snapshot m of cell into dir (created; it must not
// exist), checking every file against its SHA-256.
func download(ctx context.Context, store jetstream.ObjectStore, cell string, m *manifest, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	rels := make([]string, 0, len(m.Files))
	for rel := range m.Files {
		rels = append(rels, rel)
	}
	sort.Strings(rels)
	for _, rel := range rels {
		sum := m.Files[rel]
		data, err := getBlob(ctx, store, blobName(cell, sum))
		if err != nil {
			return fmt.Errorf("download %s/%s: %w", cell, rel, err)
		}
		if hexSum(data) != sum {
			return fmt.Errorf("download %s/%s: content does not match its SHA-256", cell, rel)
		}
		p := localPath(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			return err
		}
	}
	for rel, target := range m.Links {
		if filepath.IsAbs(target) || strings.Contains(target, "..") {
			return fmt.Errorf("download %s/%s: symlink to %q leaves the run directory", cell, rel, target)
		}
		p := localPath(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.Symlink(target, p); err != nil {
			return err
		}
	}
	return nil
}

// transferContext bounds one transfer of n bytes: 15 s plus 1 s per MB.
// A transfer cut by a server restart would otherwise wait forever for
// chunks that never come; the caller retries.
func transferContext(ctx context.Context, n int) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, 15*time.Second+time.Duration(n/1_000_000)*time.Second)
}

// getBlob reads one object within its transfer bound.
func getBlob(ctx context.Context, store jetstream.ObjectStore, name string) ([]byte, error) {
	ictx, cancel := transferContext(ctx, 0)
	info, err := store.GetInfo(ictx, name)
	cancel()
	if err != nil {
		return nil, err
	}
	gctx, cancel := transferContext(ctx, int(info.Size))
	defer cancel()
	r, err := store.Get(gctx, name)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(r)
}

// downloadInto replaces dir with the snapshot: it downloads next to dir
// and renames, so dir is either the old directory or the whole snapshot.
func downloadInto(ctx context.Context, store jetstream.ObjectStore, cell string, m *manifest, dir string) error {
	tmp := dir + ".download"
	os.RemoveAll(tmp)
	if err := download(ctx, store, cell, m, tmp); err != nil {
		os.RemoveAll(tmp)
		return err
	}
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	return os.Rename(tmp, dir)
}
