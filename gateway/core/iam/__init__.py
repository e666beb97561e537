"""The one authorization engine: IAM policy language, ACL grants and AWS's decision order.

Every front end turns a request into (caller, action, resource, context) and asks `decide`;
nothing here knows about HTTP, the metadata store or any front end.
"""
