"""The fake workspace behind the double: users, channels, messages, views, files, and the Web API methods.

Each API method is a plain function `(workspace, params) -> response dict`, registered in `API_METHODS`.
They know nothing about HTTP, faults or recording (see server.py); the server calls them one at a time
under its lock, so they need no locking of their own.
"""

from __future__ import annotations

import itertools
from datetime import datetime
from typing import Any, Callable
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.slack_double.models import SlackDoubleChannel, SlackDoubleFile, SlackDoubleUser
from bot.slack_double.validation import message_blocks_errors, metadata_errors, view_errors

Params = dict[str, Any]
Response = dict[str, Any]

# Slack's timestamps look like "1700000000.000100": seconds, a dot, six digits that keep them unique.
_FIRST_TS_MICROS = 1_700_000_000_000_100
_TS_STEP_MICROS = 100


class Workspace:
    """State of one fake Slack workspace, with the identity of the bot installed in it."""

    def __init__(self, *, team_id: str, team_domain: str, bot_user_id: str, bot_id: str, app_id: str) -> None:
        self.team_id = team_id
        self.team_domain = team_domain
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.app_id = app_id
        self.upload_url_prefix = ""  # set by the server once it knows its port
        self.file_url_prefix = ""  # where files' url_private live, also set by the server
        self.users: dict[str, SlackDoubleUser] = {}
        self.channels: dict[str, SlackDoubleChannel] = {}
        # False: answer as a Slack without the chart and table blocks (invalid_blocks for them).
        self.native_blocks = True
        self.add_user(SlackDoubleUser(id=bot_user_id, name="alinea", real_name="Alinea", is_bot=True))
        self.clear_activity()

    def clear_activity(self) -> None:
        """Forget messages, views and files; keep users and channels (the workspace's directory)."""
        self.messages: dict[str, list[dict[str, Any]]] = {}  # channel -> messages in posting order
        self.views: dict[str, dict[str, Any]] = {}  # view id -> view
        self.home_views: dict[str, dict[str, Any]] = {}  # user id -> published home tab
        self.files: dict[str, SlackDoubleFile] = {}
        self._ts_micros = itertools.count(_FIRST_TS_MICROS, _TS_STEP_MICROS)
        self._ids = itertools.count(1)

    def add_user(self, user: SlackDoubleUser) -> None:
        self.users[user.id] = user

    def add_channel(self, channel: SlackDoubleChannel) -> None:
        self.channels[channel.id] = channel

    def next_ts(self) -> str:
        micros = next(self._ts_micros)
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def next_id(self, prefix: str) -> str:
        return f"{prefix}0DBL{next(self._ids):06d}"

    def find_message(self, channel: str, ts: str) -> dict[str, Any] | None:
        return next((m for m in self.messages.get(channel, []) if m["ts"] == ts), None)

    def im_channel_id(self, user_id: str) -> str:
        """The id of the bot's DM with a person (conversations.open): "U0ANA" -> "D0ANA"."""
        return "D" + user_id[1:]

    def knows_channel(self, channel: str) -> bool:
        return channel in self.channels or channel in self.messages

    def permalink(self, channel: str, ts: str) -> str:
        return f"https://{self.team_domain}.slack.com/archives/{channel}/p{ts.replace('.', '')}"


# --- helpers shared by the methods ----------------------------------------------------------------


def _error(code: str, **extra: Any) -> Response:
    return {"ok": False, "error": code, **extra}


def truthy(value: Any) -> bool:
    """Form-encoded booleans arrive as "1"/"true"; JSON ones as real booleans."""
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes")
    return bool(value)


def message_content_error(params: Params, *, native: bool = True) -> Response | None:
    """What Slack answers for a message without content or with bad blocks/metadata (None if fine)."""
    blocks = params.get("blocks")
    if not params.get("text") and not blocks and not params.get("attachments"):
        return _error("no_text")
    if blocks is not None:
        if isinstance(blocks, str):
            return _error("invalid_blocks_format")  # a JSON string that did not decode
        errors = message_blocks_errors(blocks, native=native)
        if errors:
            return _error("invalid_blocks", errors=errors)
    if "metadata" in params and params["metadata"] is not None:
        errors = metadata_errors(params["metadata"])
        if errors:
            return _error("invalid_metadata_format", errors=errors)
    return None


def _message_fields(params: Params) -> dict[str, Any]:
    return {k: params[k] for k in ("text", "blocks", "attachments", "metadata") if params.get(k) is not None}


def _public_message(message: dict[str, Any], *, with_metadata: bool) -> dict[str, Any]:
    """A stored message as history/replies return it: metadata only on request, like Slack."""
    if with_metadata:
        return dict(message)
    return {k: v for k, v in message.items() if k != "metadata"}


# --- auth, chat -------------------------------------------------------------------------------------


def auth_test(ws: Workspace, params: Params) -> Response:
    return {
        "ok": True,
        "url": f"https://{ws.team_domain}.slack.com/",
        "team": ws.team_domain,
        "user": ws.users[ws.bot_user_id].name,
        "team_id": ws.team_id,
        "user_id": ws.bot_user_id,
        "bot_id": ws.bot_id,
        "is_enterprise_install": False,
    }


def _posting_error(ws: Workspace, channel: str | None) -> Response | None:
    """Slack lets a bot post in a DM (a user or D… id) or a channel it is a member of."""
    if not channel:
        return _error("channel_not_found")
    if channel[0] in "UWD":
        return None
    known = ws.channels.get(channel)
    if known is None:
        return _error("channel_not_found")
    return None if known.bot_is_member else _error("not_in_channel")


def chat_post_message(ws: Workspace, params: Params) -> Response:
    channel = params.get("channel")
    refused = _posting_error(ws, channel)
    if refused:
        return refused
    problem = message_content_error(params, native=ws.native_blocks)
    if problem:
        return problem
    message = {
        "type": "message",
        "user": ws.bot_user_id,
        "bot_id": ws.bot_id,
        "app_id": ws.app_id,
        "team": ws.team_id,
        "ts": ws.next_ts(),
        "text": params.get("text", ""),
        **_message_fields(params),
    }
    if params.get("thread_ts"):
        message["thread_ts"] = str(params["thread_ts"])
        if truthy(params.get("reply_broadcast")):
            message["subtype"] = "thread_broadcast"
        _note_reply(ws, channel, message)
    ws.messages.setdefault(channel, []).append(message)
    return {"ok": True, "channel": channel, "ts": message["ts"], "message": dict(message)}


def _note_reply(ws: Workspace, channel: str, reply: dict[str, Any]) -> None:
    """Keep the parent's thread bookkeeping current, as Slack shows it in conversations.history."""
    parent = ws.find_message(channel, reply["thread_ts"])
    if parent is None:
        return
    parent["thread_ts"] = parent["ts"]
    parent["reply_count"] = parent.get("reply_count", 0) + 1
    parent["latest_reply"] = reply["ts"]
    parent["reply_users"] = sorted(set(parent.get("reply_users", [])) | {reply["user"]})


def chat_post_ephemeral(ws: Workspace, params: Params) -> Response:
    if not params.get("channel"):
        return _error("channel_not_found")
    if not params.get("user"):
        return _error("user_not_in_channel")
    problem = message_content_error(params, native=ws.native_blocks)
    if problem:
        return problem
    # Ephemeral messages are not part of history; the recorded call is the only trace, as in Slack.
    return {"ok": True, "message_ts": ws.next_ts()}


def chat_update(ws: Workspace, params: Params) -> Response:
    channel, ts = params.get("channel"), params.get("ts")
    message = ws.find_message(channel, str(ts)) if channel and ts else None
    if message is None:
        return _error("message_not_found")
    problem = message_content_error(params, native=ws.native_blocks)
    if problem:
        return problem
    message.update(_message_fields(params))
    text = message.get("text", "")
    return {"ok": True, "channel": channel, "ts": message["ts"], "text": text, "message": dict(message)}


def chat_get_permalink(ws: Workspace, params: Params) -> Response:
    channel, ts = params.get("channel"), params.get("message_ts")
    if not channel or not ts or ws.find_message(channel, str(ts)) is None:
        return _error("message_not_found")
    return {"ok": True, "channel": channel, "permalink": ws.permalink(channel, str(ts))}


# --- conversations ------------------------------------------------------------------------------------


def conversations_info(ws: Workspace, params: Params) -> Response:
    channel = ws.channels.get(params.get("channel", ""))
    if channel is None:
        return _error("channel_not_found")
    return {
        "ok": True,
        "channel": {
            "id": channel.id,
            "name": channel.name,
            "is_channel": not channel.is_private and not channel.is_im,
            "is_group": channel.is_private,
            "is_im": channel.is_im,
            "is_private": channel.is_private,
            "is_archived": False,
            "is_member": channel.bot_is_member,
            "created": channel.created,
            "context_team_id": ws.team_id,
        },
    }


def conversations_history(ws: Workspace, params: Params) -> Response:
    channel = params.get("channel", "")
    if not ws.knows_channel(channel):
        return _error("channel_not_found")
    # History holds top-level messages and thread parents; replies only when broadcast to the channel.
    top_level = [
        m
        for m in ws.messages.get(channel, [])
        if m.get("thread_ts") in (None, m["ts"]) or m.get("subtype") == "thread_broadcast"
    ]
    selected = [m for m in reversed(top_level) if _in_time_window(m["ts"], params)]
    limit = int(params.get("limit") or 100)
    with_metadata = truthy(params.get("include_all_metadata"))
    return {
        "ok": True,
        "messages": [_public_message(m, with_metadata=with_metadata) for m in selected[:limit]],
        "has_more": len(selected) > limit,
        "pin_count": 0,
        "response_metadata": {"next_cursor": ""},
    }


def _in_time_window(ts: str, params: Params) -> bool:
    inclusive = truthy(params.get("inclusive"))
    value = float(ts)
    oldest, latest = params.get("oldest"), params.get("latest")
    if oldest and (value < float(oldest) or (value == float(oldest) and not inclusive)):
        return False
    if latest and (value > float(latest) or (value == float(latest) and not inclusive)):
        return False
    return True


def conversations_replies(ws: Workspace, params: Params) -> Response:
    channel, ts = params.get("channel", ""), str(params.get("ts", ""))
    if not ws.knows_channel(channel):
        return _error("channel_not_found")
    parent = ws.find_message(channel, ts)
    if parent is None:
        return _error("thread_not_found")
    replies = [m for m in ws.messages[channel] if m.get("thread_ts") == ts and m["ts"] != ts]
    with_metadata = truthy(params.get("include_all_metadata"))
    # Unlike history, replies come oldest first, parent included.
    return {
        "ok": True,
        "messages": [_public_message(m, with_metadata=with_metadata) for m in [parent, *replies]],
        "has_more": False,
        "response_metadata": {"next_cursor": ""},
    }


def conversations_open(ws: Workspace, params: Params) -> Response:
    """The bot's direct message with one person (im:write): the same D… id every time, created on
    first use. Group DMs (several users) are not modelled."""
    users = [u for u in str(params.get("users") or "").split(",") if u]
    if not users:
        return _error("users_list_not_supplied")
    if len(users) > 1:
        return _error("not_implemented")  # group DMs: nothing of ours opens one
    user = ws.users.get(users[0])
    if user is None:
        return _error("user_not_found")
    if user.deleted:
        return _error("user_disabled")
    if user.is_bot:
        return _error("cannot_dm_bot")
    channel_id = ws.im_channel_id(user.id)
    already = channel_id in ws.channels
    if not already:
        ws.add_channel(SlackDoubleChannel(id=channel_id, name=user.id))
    return {"ok": True, "no_op": already, "already_open": already, "channel": {"id": channel_id}}


# --- users --------------------------------------------------------------------------------------------


def users_info(ws: Workspace, params: Params) -> Response:
    user = ws.users.get(params.get("user", ""))
    if user is None:
        return _error("user_not_found")
    body = _user_json(ws, user)
    if truthy(params.get("include_locale")):
        body["locale"] = user.locale
    return {"ok": True, "user": body}


def _user_json(ws: Workspace, user: SlackDoubleUser) -> dict[str, Any]:
    tz_label, tz_offset = _tz_details(user.tz)
    profile = {"real_name": user.real_name, "display_name": user.name, "team": ws.team_id}
    if user.email:
        profile["email"] = user.email
    return {
        "id": user.id,
        "team_id": ws.team_id,
        "name": user.name,
        "deleted": user.deleted,
        "real_name": user.real_name,
        "tz": user.tz,
        "tz_label": tz_label,
        "tz_offset": tz_offset,
        "is_admin": user.is_admin,
        "is_owner": user.is_owner,
        "is_primary_owner": False,
        "is_bot": user.is_bot,
        "is_app_user": False,
        "profile": profile,
    }


def _tz_details(tz: str) -> tuple[str, int]:
    try:
        now = datetime.now(ZoneInfo(tz))
    except (ZoneInfoNotFoundError, ValueError):
        return tz, 0  # no tz database on this machine: still answer, with UTC
    offset = now.utcoffset()
    return now.tzname() or tz, int(offset.total_seconds()) if offset else 0


# --- views --------------------------------------------------------------------------------------------


def views_open(ws: Workspace, params: Params) -> Response:
    if not params.get("trigger_id"):
        return _error("invalid_trigger_id")
    problem = _view_problem(params.get("view"), native=ws.native_blocks)
    if problem:
        return problem
    view = _stored_view(ws, params["view"], view_id=ws.next_id("V"))
    return {"ok": True, "view": dict(view)}


def views_update(ws: Workspace, params: Params) -> Response:
    view_id = params.get("view_id") or _view_id_by_external_id(ws, params.get("external_id"))
    if not view_id or view_id not in ws.views:
        return _error("not_found")
    problem = _view_problem(params.get("view"), native=ws.native_blocks)
    if problem:
        return problem
    view = _stored_view(ws, params["view"], view_id=view_id)
    return {"ok": True, "view": dict(view)}


def views_publish(ws: Workspace, params: Params) -> Response:
    user_id = params.get("user_id")
    if not user_id:
        return _error("invalid_arguments")
    problem = _view_problem(params.get("view"), native=ws.native_blocks)
    if problem:
        return problem
    if params["view"].get("type") != "home":
        return _error("invalid_arguments", errors=["views.publish only takes type=home [json-pointer:/view/type]"])
    previous = ws.home_views.get(user_id)
    view = _stored_view(ws, params["view"], view_id=previous["id"] if previous else ws.next_id("V"))
    ws.home_views[user_id] = view
    return {"ok": True, "view": dict(view)}


def _view_problem(view: Any, *, native: bool) -> Response | None:
    if view is None:
        return _error("invalid_arguments")
    if isinstance(view, str):
        return _error("invalid_arguments", errors=["view is not valid JSON [json-pointer:/view]"])
    errors = view_errors(view, native=native)
    return _error("invalid_blocks", errors=errors) if errors else None


def _stored_view(ws: Workspace, view: dict[str, Any], *, view_id: str) -> dict[str, Any]:
    stored = {
        **view,
        "id": view_id,
        "team_id": ws.team_id,
        "app_id": ws.app_id,
        "bot_id": ws.bot_id,
        "state": {"values": {}},
        "hash": ws.next_ts(),
        "root_view_id": view_id,
        "private_metadata": view.get("private_metadata", ""),
        "callback_id": view.get("callback_id", ""),
    }
    ws.views[view_id] = stored
    return stored


def _view_id_by_external_id(ws: Workspace, external_id: str | None) -> str | None:
    if not external_id:
        return None
    return next((vid for vid, v in ws.views.items() if v.get("external_id") == external_id), None)


# --- files --------------------------------------------------------------------------------------------


def files_get_upload_url_external(ws: Workspace, params: Params) -> Response:
    filename, length = params.get("filename"), params.get("length")
    if not filename or length in (None, ""):
        return _error("invalid_arguments")
    file = SlackDoubleFile(id=ws.next_id("F"), filename=str(filename), length=int(length))
    ws.files[file.id] = file
    return {"ok": True, "upload_url": f"{ws.upload_url_prefix}{file.id}", "file_id": file.id}


def store_upload(ws: Workspace, file_id: str, content: bytes) -> bool:
    """Bytes POSTed to an upload URL; False when no such upload was started."""
    file = ws.files.get(file_id)
    if file is None:
        return False
    file.content, file.uploaded = content, True
    return True


def files_complete_upload_external(ws: Workspace, params: Params) -> Response:
    entries = params.get("files")
    if not isinstance(entries, list) or not entries:
        return _error("invalid_arguments")
    files = [ws.files.get(str(entry.get("id"))) for entry in entries if isinstance(entry, dict)]
    if len(files) != len(entries) or any(f is None or not f.uploaded for f in files):
        return _error("file_not_found")
    for file, entry in zip(files, entries):
        file.title, file.completed = entry.get("title") or file.filename, True
    channels = _share_targets(params)
    for channel in channels:
        _share_files(ws, files, channel, params)
    return {"ok": True, "files": [f.to_api() for f in files]}


def _share_targets(params: Params) -> list[str]:
    if params.get("channel_id"):
        return [str(params["channel_id"])]
    return [c for c in str(params.get("channels") or "").split(",") if c]


def _share_files(ws: Workspace, files: list[SlackDoubleFile], channel: str, params: Params) -> None:
    """Slack shares completed files by posting a file_share message; the double does the same."""
    thread_ts, comment = params.get("thread_ts"), params.get("initial_comment")
    message = {
        "type": "message",
        "subtype": "file_share",
        "user": ws.bot_user_id,
        "bot_id": ws.bot_id,
        "ts": ws.next_ts(),
        "text": comment or "",
        "files": [{"id": f.id, "name": f.filename, "title": f.title} for f in files],
    }
    if thread_ts:
        message["thread_ts"] = str(thread_ts)
        _note_reply(ws, channel, message)
    ws.messages.setdefault(channel, []).append(message)
    for file in files:
        file.channel, file.thread_ts, file.initial_comment = channel, thread_ts, comment
        file.shares.append({"channel": channel, "ts": message["ts"], "thread_ts": thread_ts})


def file_url(ws: Workspace, file: SlackDoubleFile, *, download: bool = False) -> str:
    """A file's `url_private` (or `url_private_download`), shaped like Slack's
    `https://files.slack.com/files-pri/T…-F…/name.csv` but on the double's host."""
    return f"{ws.file_url_prefix}{ws.team_id}-{file.id}/{'download/' if download else ''}{quote(file.filename)}"


def file_from_url_path(ws: Workspace, path: str) -> SlackDoubleFile | None:
    """The uploaded file a `/files-pri/T…-F…/[download/]name` path names (what comes after the prefix)."""
    owner = path.split("/", 1)[0]
    team_id, _, file_id = owner.rpartition("-")
    file = ws.files.get(file_id) if team_id == ws.team_id else None
    return file if file is not None and file.uploaded else None


def files_info(ws: Workspace, params: Params) -> Response:
    """What Slack tells an app with files:read about a file people uploaded (e.g. in a file_input)."""
    file = ws.files.get(str(params.get("file") or ""))
    if file is None or not file.uploaded:
        return _error("file_not_found")
    extension = file.filename.rpartition(".")[2].lower() if "." in file.filename else "text"
    details = {
        **file.to_api(),
        "filetype": extension,
        "mimetype": _MIMETYPES.get(extension, "application/octet-stream"),
        "url_private": file_url(ws, file),
        "url_private_download": file_url(ws, file, download=True),
    }
    return {"ok": True, "file": details, "comments": [], "response_metadata": {"next_cursor": ""}}


_MIMETYPES = {"csv": "text/csv", "txt": "text/plain", "text": "text/plain", "json": "application/json", "png": "image/png"}


API_METHODS: dict[str, Callable[[Workspace, Params], Response]] = {
    "auth.test": auth_test,
    "chat.postMessage": chat_post_message,
    "chat.postEphemeral": chat_post_ephemeral,
    "chat.update": chat_update,
    "chat.getPermalink": chat_get_permalink,
    "conversations.info": conversations_info,
    "conversations.history": conversations_history,
    "conversations.open": conversations_open,
    "conversations.replies": conversations_replies,
    "users.info": users_info,
    "views.open": views_open,
    "views.update": views_update,
    "views.publish": views_publish,
    "files.getUploadURLExternal": files_get_upload_url_external,
    "files.completeUploadExternal": files_complete_upload_external,
    "files.info": files_info,
}
