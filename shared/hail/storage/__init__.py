"""DynamoDB data access: the only package that knows keys, indexes and boto3.

One table (see docs/data-model.md); one module per kind of item, on `base`.
"""
