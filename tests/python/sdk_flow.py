"""Drive the whole reset flow through the official Huawei Cloud Python SDK
(huaweicloudsdkmeeting) against a running gateway: a real client nobody here wrote.

Usage: python sdk_flow.py http://127.0.0.1:PORT

The CAPTCHA answer and the code come from the gateway's test-support endpoints. The SDK's
stock MeetingCredentials log in over https before the first call; the subclass here never
log in and set X-Access-Token only when a T3 is given, as api.md's SDK section describes.
"""

import json
import sys
import urllib.parse
import urllib.request

from huaweicloudsdkcore.exceptions import exceptions
from huaweicloudsdkcore.http.http_config import HttpConfig
from huaweicloudsdkmeeting.v1 import (
    CheckSlideVerifyCodeRequest,
    CheckVerifyCodeRequest,
    MeetingClient,
    ResetPwdReqDTOV1,
    ResetPwdRequest,
    SendSlideVerifyCodeRequest,
    SendVeriCodeForChangePwdRequest,
    SlideVerifyCodeCheckDTO,
    SlideVerifyCodeSendDTO,
    VerifyCodeCheckDTO,
    VerifyCodeSendDTOV1,
)
from huaweicloudsdkmeeting.v1.meeting_credentials import MeetingCredentials as SdkMeetingCredentials
from huaweicloudsdkcore.signer.signer import Signer


class MeetingCredentials(SdkMeetingCredentials):
    """Never logs in; sends X-Access-Token only when a reset token is set.

    Named like its base class because the SDK's client builder checks the class name."""

    def __init__(self):
        super().__init__()
        self.reset_token = None

    def process_request(self, request, http_client):
        if self.reset_token is not None:
            request.header_params["X-Access-Token"] = self.reset_token
        query = Signer.process_canonical_query_string(request)
        request.uri = request.resource_path + ("?" + query if query else "")
        return request


def oracle(base, path):
    with urllib.request.urlopen(base + path, timeout=10) as response:
        return json.loads(response.read())


def client_for(base, credentials):
    config = HttpConfig.get_default_config()
    config.timeout = (5, 10)
    config.retry_times = 0
    return (
        MeetingClient.new_builder()
        .with_http_config(config)
        .with_credentials(credentials)
        .with_endpoints([base])
        .build()
    )


def reset(base, user, send_method, new_password, language):
    credentials = MeetingCredentials()
    client = client_for(base, credentials)
    common = {"x_request_id": "sdk-" + user, "accept_language": language}

    first = client.send_slide_verify_code(SendSlideVerifyCodeRequest(
        body=SlideVerifyCodeSendDTO(user=user, client_type=0, check_type=1), **common))
    assert first.shadow_image.startswith("data:image/png;base64,"), "shadowImage"
    answer = oracle(base, "/test/v1/captcha/" + first.token)

    second = client.check_slide_verify_code(CheckSlideVerifyCodeRequest(
        body=SlideVerifyCodeCheckDTO(user=user, client_type=0, check_type=1, token=first.token,
                                     point_x=answer["pointX"], slide_time=1500), **common))

    third = client.send_veri_code_for_change_pwd(SendVeriCodeForChangePwdRequest(
        body=VerifyCodeSendDTOV1(user=user, send_method=send_method, token=second.token), **common))
    assert third.expire == 180, third
    code = oracle(base, "/test/v1/outbox/latest?user=" + urllib.parse.quote(user, safe=""))["code"]

    fourth = client.check_verify_code(CheckVerifyCodeRequest(
        body=VerifyCodeCheckDTO(user=user, code=code), **common))

    credentials.reset_token = fourth.token
    client.reset_pwd(ResetPwdRequest(
        body=ResetPwdReqDTOV1(user=user, new_pwd=new_password, pass_word_type=0), **common))

    # The same token again must be refused, and the SDK must surface the gateway's error code.
    try:
        client.reset_pwd(ResetPwdRequest(
            body=ResetPwdReqDTOV1(user=user, new_pwd=new_password), **common))
    except exceptions.ClientRequestException as error:
        assert error.status_code == 401, error.status_code
        assert error.error_code == "USG.290040401", error.error_code
        assert error.request_id == "sdk-" + user, error.request_id
    else:
        raise AssertionError("a replayed T3 was accepted")
    print(f"ok: {user} reset through the official SDK ({send_method}, {language})")


def main():
    base = sys.argv[1].rstrip("/")
    reset(base, "+8613600000001", "sms", "Sdk#Pass2026", "en-US")
    reset(base, "user002@example.com", "email", "Sdk#Pass2026", "zh-CN")
    reset(base, "acct_user3", "email", "Sdk#Pass2026", "en-US")


if __name__ == "__main__":
    main()
