// Package recipes embeds the built-in run recipes (one YAML file per
// method) so the binary runs them without the source tree.
package recipes

import (
	"embed"
	"fmt"
	"os"
	"sort"
	"strings"
)

//go:embed *.yaml
var files embed.FS

// Read returns a built-in recipe by name ("grpo") or, if nameOrPath names
// a file (contains a path separator or ends in .yaml), that file.
func Read(nameOrPath string) ([]byte, error) {
	if strings.ContainsRune(nameOrPath, os.PathSeparator) || strings.HasSuffix(nameOrPath, ".yaml") || strings.HasSuffix(nameOrPath, ".yml") {
		if b, err := os.ReadFile(nameOrPath); err == nil {
			return b, nil
		} else if !strings.HasSuffix(nameOrPath, ".yaml") || strings.ContainsRune(nameOrPath, os.PathSeparator) {
			return nil, err
		}
	}
	b, err := files.ReadFile(strings.TrimSuffix(nameOrPath, ".yaml") + ".yaml")
	if err != nil {
		return nil, fmt.Errorf("unknown recipe %q (built-in: %s)", nameOrPath, strings.Join(Names(), ", "))
	}
	return b, nil
}

// Names lists the built-in recipes.
func Names() []string {
	entries, _ := files.ReadDir(".")
	var names []string
	for _, e := range entries {
		names = append(names, strings.TrimSuffix(e.Name(), ".yaml"))
	}
	sort.Strings(names)
	return names
}
