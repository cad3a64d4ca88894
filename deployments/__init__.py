"""Prefect deployments of the dvc766 flows: schedules in Asia/Ho_Chi_Minh, served or deployed."""
