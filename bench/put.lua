wrk.method = "PUT"
wrk.body = '{"user": "+8613600000000", "code": "1"}'
wrk.headers["Content-Type"] = "application/json"
