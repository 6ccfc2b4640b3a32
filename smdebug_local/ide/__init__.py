"""IDE integrations (VS Code; PyCharm is planned)."""
