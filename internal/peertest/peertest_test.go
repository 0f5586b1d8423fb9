package peertest

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestRequired(t *testing.T) {
	t.Setenv("SCHANNEL_INTEROP", "require")
	assert.True(t, Required())
	t.Setenv("SCHANNEL_INTEROP", "")
	assert.False(t, Required())
}

func TestPath(t *testing.T) {
	_, err := Path("sh")
	assert.NoError(t, err)
	_, err = Path("no-such-program-schannel")
	assert.Error(t, err)
}

func TestProgramSkipsWhenNotRequired(t *testing.T) {
	t.Setenv("SCHANNEL_INTEROP", "")
	ran := false
	t.Run("missing", func(t *testing.T) {
		Program(t, "no-such-program-schannel", "nothing")
		ran = true
	})
	assert.False(t, ran, "the subtest stopped at the missing program")
}
