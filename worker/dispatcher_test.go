package worker

import "testing"

// A claim is never larger than the starts free, nor than maxClaim, and is
// one of a few sizes; with none free (the bound shrank while the
// dispatcher gathered free starts) there is no claim, and no panic.
func TestClaimSize(t *testing.T) {
	for _, tt := range []struct{ free, want int }{
		{-1, 0}, {0, 0}, {1, 1}, {2, 2}, {3, 2}, {8, 8}, {12, 8}, {63, 32}, {64, 64}, {65, 64}, {512, 64},
	} {
		if got := claimSize(tt.free); got != tt.want {
			t.Errorf("claimSize(%d) = %d, want %d", tt.free, got, tt.want)
		}
	}
	sizes := map[int]bool{}
	for free := range 1000 {
		sizes[claimSize(free)] = true
	}
	if len(sizes) != 8 { // 0 and the seven powers of two up to 64
		t.Errorf("claim sizes %v, want 0 and seven powers of two", sizes)
	}
}
