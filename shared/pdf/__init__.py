"""A small PDF writer for signed documents (reporting's reports, approval's protection
certificates): embedded TrueType fonts, text, tables, bars."""
