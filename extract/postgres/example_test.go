package postgres_test

import (
	"context"
	"log"
	"time"

	"github.com/sharedcare/sharedcare/extract"
	"github.com/sharedcare/sharedcare/extract/postgres"
)

// Land the social care database's people and care packages incrementally on
// updated_at (local time) into a lake.
func Example() {
	src, err := postgres.New(postgres.Config{
		DSN: postgres.Secret("postgres://etl@db.example/socialcare?sslmode=verify-full"),
		Tables: []postgres.Table{
			{Entity: "people", Table: "public.people", Watermark: "updated_at", Key: []string{"person_id"}},
			{Entity: "care_packages", Table: "care_packages", Watermark: "updated_at", Key: []string{"package_id"}},
			{Entity: "open_referrals", Query: "SELECT referral_id, person_id, category FROM safeguarding_referrals WHERE status = 'open'", Key: []string{"referral_id"}},
		},
		Retries:  3,
		Backoff:  2 * time.Second,
		Location: time.UTC, // use the source's zone, e.g. Europe/London
	})
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	run, err := extract.NewRun("lake", time.Now(), nil)
	if err != nil {
		log.Fatal(err)
	}
	if _, err := run.Land(ctx, "socialcare", "postgres", src); err != nil {
		log.Fatal(err) // not committed: watermarks stay where they were
	}
	if _, err := run.Commit(time.Now()); err != nil {
		log.Fatal(err)
	}
}
