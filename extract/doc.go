// Package extract lands source-system records in the Parquet landing zone.
//
// A run lands every configured source under
//
//	LAKE/landing/source=S/entity=E/run=R/part-NNNNN.parquet
//	LAKE/rejects/source=S/run=R/part-NNNNN.parquet
//
// and finishes by writing LAKE/runs/R.json, the run manifest. The manifest
// is the run's completion marker: it is written last, atomically, and loads
// read only the files a complete manifest lists, so a crashed run is never
// half-visible. Every landed row carries lineage columns (source, entity,
// run, extraction time, source file, position in it, record hash). Every
// input record is either landed or rejected with a reason code, and each
// entity reconciles: read = landed + rejected.
//
// Connectors live in sub-packages (extract/csv, extract/audit, …) and
// implement Source.
package extract
