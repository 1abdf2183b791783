package worker

// PID is the process id (and process group) of worker i of r.
func PID(r *Remote, i int) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.clients[i].cmd.Process.Pid
}
