package store

// SetExportChunkRows lets tests force small streaming chunks; it returns a
// function restoring the old size.
func SetExportChunkRows(n int64) (restore func()) {
	old := exportChunkRows
	exportChunkRows = n
	return func() { exportChunkRows = old }
}
