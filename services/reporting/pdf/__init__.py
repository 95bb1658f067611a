"""A small PDF writer for signed reports: embedded TrueType fonts, text, tables, bars."""
