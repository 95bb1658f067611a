"""Reports of Plan 88/KH-UBND: pure builders (figures → `Report`) and file renderers."""
