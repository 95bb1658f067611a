"""What every printed D73 report shares: the national heading of Vietnamese administrative
documents (Decree 30/2020/NĐ-CP), printed when a unit issues a report as its own."""

from __future__ import annotations

NATIONAL_MOTTO = ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc")
"""Quốc hiệu và tiêu ngữ, at the top right of every administrative document."""
