"""Plans in and out as spreadsheets: the column format, reading messy cells, export and import."""
