package digest

// SpaceCount is a test hook: how many protection spaces t remembers.
func SpaceCount(t *Transport) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.spaces)
}
