"""Printed documents (reporting's reports, approval's protection extracts), laid out by fpdf2
with the vendored DejaVu Serif fonts (`shared.records.pdf.printing`)."""
