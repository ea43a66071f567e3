package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/sharedcare/sharedcare/cmd/sharedcare/config"
	"github.com/sharedcare/sharedcare/extract/postgres/pgtest"
)

// socialCareSQL is where sharedcare synth writes the social care database.
const socialCareSQL = "sources/socialcare/socialcare.sql"

// serveSocialCare starts a throwaway PostgreSQL server (initdb in a
// temporary directory, a free port on 127.0.0.1), loads the synthetic
// region's social care database into it, and points every postgres source's
// dsn_env at it. stop shuts the server down and removes its files.
func serveSocialCare(ctx context.Context, cfg *config.Config, log *slog.Logger) (stop func(), err error) {
	dir, err := os.MkdirTemp("", "sharedcare-socialcare-")
	if err != nil {
		return nil, err
	}
	srv, err := pgtest.Start(ctx, dir)
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("starting PostgreSQL for the social care system (make test installs the Debian package postgresql): %w", err)
	}
	stop = func() {
		if err := srv.Stop(); err != nil {
			log.Warn("stopping the social care database", "error", err.Error())
		}
		os.RemoveAll(dir)
	}
	dsn, err := srv.CreateDatabase(ctx, "socialcare")
	if err == nil {
		err = srv.LoadSQLInto(ctx, dsn, cfg.Path(socialCareSQL))
	}
	if err != nil {
		stop()
		return nil, fmt.Errorf("loading %s: %w", filepath.Base(socialCareSQL), err)
	}
	for _, s := range cfg.Sources {
		if s.Kind == config.KindPostgres && s.DSNEnv != "" {
			os.Setenv(s.DSNEnv, dsn)
		}
	}
	log.Info("social care database served", "port", srv.Port)
	return stop, nil
}

// ensureKey creates the region's pseudonymisation key file (32 random bytes,
// hex, owner-only) when the config names one that does not exist yet. Only
// the demo and tests do this; an operator supplies their own key.
func ensureKey(cfg *config.Config) error {
	if cfg.Analytics == "" || cfg.PseudonymKeyFile == "" {
		return nil
	}
	path := cfg.Path(cfg.PseudonymKeyFile)
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(hex.EncodeToString(b)+"\n"), 0o600)
}

// ServeSocialCareCmd serves a synthetic region's social care database.
type ServeSocialCareCmd struct {
	Config string `help:"Region configuration file of a synthetic region (its sources/socialcare/socialcare.sql is loaded)." type:"existingfile" required:"" short:"c"`
}

// Run implements `sharedcare serve-socialcare`: it starts a throwaway
// PostgreSQL server with the region's social care database, prints the
// variable to set for `sharedcare run`, and serves until interrupted.
func (c *ServeSocialCareCmd) Run(ctx context.Context, log *slog.Logger) error {
	cfg, err := config.Load(c.Config)
	if err != nil {
		return usageError{err}
	}
	stop, err := serveSocialCare(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer stop()
	for _, s := range cfg.Sources {
		if s.Kind == config.KindPostgres && s.DSNEnv != "" {
			// A throwaway server on 127.0.0.1 with trust authentication: the
			// connection string holds no secret.
			fmt.Printf("export %s='%s'\n", s.DSNEnv, os.Getenv(s.DSNEnv))
		}
	}
	fmt.Println("# serving until interrupted (Ctrl-C); the database is deleted when it stops")
	<-ctx.Done()
	return nil
}
