package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/sharedcare/sharedcare/cmd/sharedcare/config"
	"github.com/sharedcare/sharedcare/load"
)

// DictionaryCmd writes the data dictionary of a warehouse or analytics
// database.
type DictionaryCmd struct {
	Config string `help:"Region configuration file (its warehouse is described)." type:"existingfile" short:"c" xor:"db"`
	DB     string `help:"DuckDB file to describe instead of the configured warehouse, e.g. analytics.duckdb." type:"existingfile" xor:"db"`
	Out    string `help:"Directory to write data-dictionary.md and data-dictionary.html into." type:"path" required:"" short:"o"`
}

// Run implements `sharedcare dictionary`.
func (c *DictionaryCmd) Run(ctx context.Context, log *slog.Logger) error {
	path, title := c.DB, "Data dictionary"
	if path == "" {
		if c.Config == "" {
			return usageError{errors.New("give --config or --db")}
		}
		cfg, err := config.Load(c.Config)
		if err != nil {
			return usageError{err}
		}
		path = cfg.Path(cfg.Warehouse)
		title = "Data dictionary — " + cfg.Region
	}
	title += " (" + filepath.Base(path) + ")"
	files, err := writeDictionary(ctx, path, c.Out, title)
	if err != nil {
		return err
	}
	log.Info("data dictionary written", "markdown", files[0], "html", files[1])
	for _, f := range files {
		fmt.Println(f)
	}
	return nil
}

// writeDictionary writes dir/data-dictionary.md and .html for the database
// at path, each atomically, and returns their paths.
func writeDictionary(ctx context.Context, path, dir, title string) ([]string, error) {
	db, err := openWarehouse(path)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	d, err := load.Dictionary(ctx, db)
	if err != nil {
		return nil, fmt.Errorf("reading data dictionary of %s: %w", path, err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	var md, html bytes.Buffer
	if err := d.WriteMarkdown(&md, title); err != nil {
		return nil, err
	}
	if err := d.WriteHTML(&html, title); err != nil {
		return nil, err
	}
	out := []string{filepath.Join(dir, "data-dictionary.md"), filepath.Join(dir, "data-dictionary.html")}
	for i, b := range [][]byte{md.Bytes(), html.Bytes()} {
		if err := writeFileAtomic(out[i], b); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// writeFileAtomic writes b to path.partial, syncs and closes it, then
// renames it over path.
func writeFileAtomic(path string, b []byte) error {
	partial := path + ".partial"
	f, err := os.OpenFile(partial, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		os.Remove(partial)
		return fmt.Errorf("writing %s: %w", partial, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(partial)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(partial)
		return err
	}
	if err := os.Rename(partial, path); err != nil {
		os.Remove(partial)
		return fmt.Errorf("publishing %s: %w", path, err)
	}
	return nil
}
