package replica

// Server is the replica HTTP server (see server.go, being written).
type Server struct {
	Data *Dataset
}
