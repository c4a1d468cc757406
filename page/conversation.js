// The conversation: a session's messages, oldest first, each shown once however often it is
// read (the newest page with the session, older pages on scroll, replies after each turn).

import { formatTime } from "./words.js";

const $ = (id) => document.getElementById(id);

const ROLE_NAMES = { user: "You", assistant: "Chiffon", system: "System" };

const shown = new Set(); // the ids of the messages on the screen

function messageItem(message) {
  const item = document.createElement("li");
  item.className = `message role-${message.role}`;
  item.dataset.id = message.id;
  const head = document.createElement("p");
  head.className = "message-head";
  const who = document.createElement("strong");
  who.textContent = ROLE_NAMES[message.role] || message.role;
  const when = document.createElement("time");
  when.dateTime = message.timestamp;
  when.textContent = formatTime(message.timestamp);
  head.append(who, " ", when);
  const body = document.createElement("div");
  body.className = "message-body";
  body.textContent = message.content;
  item.append(head, body);
  return item;
}

function notShownYet(messages) {
  const fresh = messages.filter((m) => !shown.has(m.id));
  for (const message of fresh) shown.add(message.id);
  return fresh;
}

/** Empty the conversation. */
export function clearMessages() {
  shown.clear();
  $("messages").replaceChildren();
}

/** Newer messages at the bottom, scrolled to. */
export function appendMessages(messages) {
  $("messages").append(...notShownYet(messages).map(messageItem));
  $("history-empty").hidden = shown.size > 0;
  const history = $("history");
  history.scrollTop = history.scrollHeight;
}

/** Older messages at the top, keeping in view what the person was reading. */
export function prependMessages(messages) {
  const fresh = notShownYet(messages);
  const history = $("history");
  const fromBottom = history.scrollHeight - history.scrollTop;
  $("messages").prepend(...fresh.map(messageItem));
  history.scrollTop = history.scrollHeight - fromBottom;
  $("history-empty").hidden = shown.size > 0;
}
