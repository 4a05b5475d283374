// Chorus browser client: REST for groups and history, STOMP (over SockJS) for live events, sends and typing.
// Every group's frames carry a seq; the client keeps the last seq it has seen per group, drops anything at or
// below it, and resumes from it after a reconnect (SUBSCRIBE with from-seq), so nothing is missed or doubled.
(function () {
  'use strict';

  const $ = (id) => document.getElementById(id);
  const state = {
    token: null,
    userId: null,
    groups: new Map(),      // groupId -> {groupId, name, lastSeq, readSeq, unread}
    seen: new Map(),        // groupId -> last seq applied
    open: null,             // the group shown
    oldest: null,           // oldest seq shown, for paging back
    outbox: new Map(),      // clientMessageId -> {groupId, text, replyToSeq, publishedOn, closes}: not yet acknowledged
    messages: new Map(),    // seq -> message shown in the open group
    replyTo: null,          // {seq, senderId, text} of the message the next send answers
    maxText: null,          // the server's longest text, in code points
    connection: 0,          // counts connections, so that a send knows on which one it went out
    typingUntil: new Map(), // userId -> time the notice expires
    lastTypingSent: 0,
    online: true,
  };
  let client = null;
  let typingSubscription = null;

  // ---- REST

  async function api(method, path, body) {
    const response = await fetch(path, {
      method,
      headers: Object.assign({'Content-Type': 'application/json'},
        state.token ? {'Authorization': 'Bearer ' + state.token} : {}),
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    const json = text ? JSON.parse(text) : null;
    if (!response.ok) {
      throw new Error((json && (json.detail || json.title)) || ('HTTP ' + response.status));
    }
    return json;
  }

  function showError(message) {
    $('error').textContent = message || '';
  }

  // every page of a paged list (the Link header names the next one)
  async function apiPages(path) {
    const all = [];
    let next = path;
    while (next) {
      const response = await fetch(next, {headers: {'Authorization': 'Bearer ' + state.token}});
      if (!response.ok) {
        throw new Error('HTTP ' + response.status);
      }
      all.push(...await response.json());
      const link = response.headers.get('Link');
      const match = link && link.match(/<([^>]+)>;\s*rel="next"/);
      next = match ? match[1] : null;
    }
    return all;
  }

  // ---- groups

  async function loadGroups() {
    const groups = await apiPages('/api/me/groups?limit=500');
    for (const g of groups) {
      state.groups.set(g.groupId, g);
    }
    for (const g of groups) {
      if (!state.seen.has(g.groupId)) {
        state.seen.set(g.groupId, g.lastSeq);
      }
    }
    renderGroups();
    subscribeAll();
  }

  function renderGroups() {
    const list = $('groups');
    list.replaceChildren();
    for (const g of [...state.groups.values()].sort((a, b) => a.groupId.localeCompare(b.groupId))) {
      const li = document.createElement('li');
      li.dataset.group = g.groupId;
      li.className = g.groupId === state.open ? 'open' : '';
      li.textContent = g.name + ' ';
      if (g.unread > 0) {
        const badge = document.createElement('span');
        badge.className = 'unread';
        badge.textContent = g.unread;
        li.appendChild(badge);
      }
      li.addEventListener('click', () => openGroup(g.groupId));
      list.appendChild(li);
    }
  }

  async function openGroup(groupId) {
    state.open = groupId;
    state.messages.clear();
    cancelReply();
    $('chat').classList.add('in-room');
    $('leave').hidden = false;
    const g = state.groups.get(groupId);
    $('room-title').textContent = g ? g.name : groupId;
    renderRoomState();
    $('messages').replaceChildren();
    $('typing').textContent = '';
    $('text').disabled = false;
    $('send').disabled = false;
    const page = await api('GET', '/api/groups/' + encodeURIComponent(groupId) + '/messages?limit=50');
    if (!state.groups.has(groupId)) {
      // just created or joined: my list (read without waiting) may not show it yet; the page is current
      const lastSeq = Math.max(0, ...page.messages.map((m) => m.seq));
      state.groups.set(groupId, {groupId, name: groupId, lastSeq, readSeq: 0, unread: 0});
      state.seen.set(groupId, Math.max(lastSeq, state.seen.get(groupId) || 0));
      subscribeAll();
    }
    page.messages.forEach(renderMessage);
    state.oldest = page.messages.length ? page.messages[0].seq : null;
    $('older').hidden = !page.hasMore;
    subscribeTyping();
    markRead();
    renderGroups();
  }

  // the open group's topic and whether it is archived (an archived group takes no messages)
  function renderRoomState() {
    const g = state.groups.get(state.open);
    const box = $('room-topic');
    box.replaceChildren();
    if (!g) {
      return;
    }
    if (g.archived) {
      const badge = document.createElement('span');
      badge.className = 'archived';
      badge.textContent = 'archived';
      box.append(badge);
    }
    box.append(document.createTextNode(g.topic || ''));
    $('room-title').textContent = g.name;
    $('text').disabled = !!g.archived;
    $('send').disabled = !!g.archived;
    $('text').placeholder = g.archived ? 'This group is archived' : 'Message';
  }

  async function loadOlder() {
    if (!state.open || state.oldest === null) {
      return;
    }
    const page = await api('GET', '/api/groups/' + encodeURIComponent(state.open) + '/messages?limit=50&before='
      + state.oldest);
    page.messages.forEach(renderMessage);
    if (page.messages.length) {
      state.oldest = page.messages[0].seq;
    }
    $('older').hidden = !page.hasMore;
  }

  async function markRead() {
    const g = state.groups.get(state.open);
    const seq = state.seen.get(state.open) || 0;
    if (!g || seq < 1 || g.readSeq >= seq) {
      if (g) {
        g.unread = 0;
      }
      return;
    }
    g.readSeq = seq;
    g.unread = 0;
    try {
      await api('POST', '/api/groups/' + encodeURIComponent(state.open) + '/read', {seq});
    } catch (e) {
      // a marker is advisory; the next one moves it on
    }
  }

  // ---- messages in the open group, kept in seq order

  function button(label, action, ariaLabel) {
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = label;
    if (ariaLabel) {
      b.setAttribute('aria-label', ariaLabel);
    }
    b.addEventListener('click', action);
    return b;
  }

  function renderMessage(m) {
    state.messages.set(m.seq, m);
    const list = $('messages');
    let li = list.querySelector('li[data-seq="' + m.seq + '"]');
    if (!li) {
      li = document.createElement('li');
      li.dataset.seq = m.seq;
      const after = [...list.children].find((other) => Number(other.dataset.seq) > m.seq);
      list.insertBefore(li, after || null);
    }
    li.className = 'message';
    li.dataset.client = m.clientMessageId || '';
    li.replaceChildren();
    if (m.sentAt) {
      const sent = new Date(m.sentAt);
      li.dataset.day = sent.toDateString();
      const time = document.createElement('time');
      time.dateTime = m.sentAt;
      time.textContent = sent.toLocaleTimeString([], {hour: '2-digit', minute: '2-digit'});
      time.title = sent.toLocaleString();
      li.append(time);
    }
    const sender = document.createElement('span');
    sender.className = 'sender';
    sender.textContent = m.senderId;
    li.append(sender);
    if (m.replyToSeq) {
      const original = state.messages.get(m.replyToSeq);
      const reply = document.createElement('span');
      reply.className = 'reply-to';
      reply.textContent = '↪ ' + (original ? original.senderId + ': ' + (original.deleted ? 'message deleted'
        : original.text.slice(0, 80)) : 'an earlier message');
      li.append(reply);
    }
    const text = document.createElement('span');
    text.className = 'text';
    text.textContent = m.deleted ? 'message deleted' : m.text + (m.editedAt ? ' (edited)' : '');
    li.append(text);
    if (!m.deleted) {
      const actions = document.createElement('span');
      actions.className = 'actions';
      actions.append(button('Reply', () => startReply(m), 'Reply'));
      if (m.senderId === state.userId) {
        actions.append(button('Edit', () => startEdit(li, m), 'Edit'), button('Delete', () => deleteMessage(m), 'Delete'));
      }
      li.append(actions);
    }
    renderDays();
    list.scrollTop = list.scrollHeight;
  }

  // a separator before the first message of each day
  function renderDays() {
    const list = $('messages');
    list.querySelectorAll('li.day').forEach((day) => day.remove());
    let previous = null;
    for (const li of list.querySelectorAll('li.message')) {
      if (li.dataset.day && li.dataset.day !== previous) {
        const day = document.createElement('li');
        day.className = 'day';
        day.dataset.seq = li.dataset.seq;
        day.setAttribute('role', 'separator');
        day.textContent = new Date(li.dataset.day).toLocaleDateString([], {weekday: 'long', year: 'numeric',
          month: 'long', day: 'numeric'});
        list.insertBefore(day, li);
        previous = li.dataset.day;
      }
    }
  }

  function startReply(m) {
    state.replyTo = {seq: m.seq, senderId: m.senderId, text: m.text};
    $('replying-text').textContent = 'Replying to ' + m.senderId + ': ' + m.text.slice(0, 80);
    $('replying').hidden = false;
    $('text').focus();
  }

  function cancelReply() {
    state.replyTo = null;
    $('replying').hidden = true;
  }

  function startEdit(li, m) {
    const text = li.querySelector('.text');
    const editor = document.createElement('textarea');
    editor.value = m.text;
    editor.setAttribute('aria-label', 'Edit message');
    editor.className = 'editor';
    const save = button('Save', async () => {
      try {
        await api('PATCH', '/api/groups/' + encodeURIComponent(state.open) + '/messages/' + m.seq,
          {text: editor.value});
        showError('');
      } catch (err) {
        showError(err.message);
        renderMessage(m);
      }
    }, 'Save edit');
    const cancel = button('Cancel', () => renderMessage(m), 'Cancel edit');
    editor.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        save.click();
      } else if (e.key === 'Escape') {
        cancel.click();
      }
    });
    text.replaceWith(editor);
    li.querySelector('.actions').replaceChildren(save, cancel);
    editor.focus();
  }

  async function deleteMessage(m) {
    if (!window.confirm('Delete this message for everyone?')) {
      return;
    }
    try {
      await api('DELETE', '/api/groups/' + encodeURIComponent(state.open) + '/messages/' + m.seq);
    } catch (err) {
      showError(err.message);
    }
  }

  function renderEvent(seq, text) {
    const list = $('messages');
    if (list.querySelector('li[data-seq="' + seq + '"]')) {
      return;
    }
    const li = document.createElement('li');
    li.dataset.seq = seq;
    li.className = 'event';
    li.textContent = text;
    const after = [...list.children].find((other) => Number(other.dataset.seq) > seq);
    list.insertBefore(li, after || null);
  }

  // ---- STOMP

  function connect() {
    client = new StompJs.Client({
      webSocketFactory: () => new SockJS('/ws'),
      connectHeaders: {Authorization: 'Bearer ' + state.token},
      reconnectDelay: 1000,
      heartbeatIncoming: 10000,
      heartbeatOutgoing: 10000,
      onConnect: () => {
        state.connection += 1;
        setStatus('live');
        client.subscribe('/user/queue/acks', (frame) => onAck(JSON.parse(frame.body)));
        client.subscribe('/user/queue/errors', (frame) => showError(JSON.parse(frame.body).error));
        subscribeAll();
        subscribeTyping();
        // sends made while away go out again: the same clientMessageId makes a repeat harmless
        for (const [clientMessageId, send] of state.outbox) {
          publishSend(clientMessageId, send);
        }
      },
      onWebSocketClose: () => {
        setStatus(state.online ? 'reconnecting' : 'offline');
        // a send whose connection closed before its ack twice in a row may be what closes it: it stops going out
        for (const [clientMessageId, send] of [...state.outbox]) {
          if (send.publishedOn === state.connection && ++send.closes >= 2) {
            markFailed(clientMessageId, 'the connection closed twice after it was sent');
          }
        }
      },
      onStompError: (frame) => showError(frame.headers.message),
    });
    client.activate();
  }

  function setStatus(s) {
    const status = $('status');
    status.dataset.state = s;
    status.textContent = s === 'live' ? 'live' : s === 'reconnecting' ? 'reconnecting…' : 'offline';
  }

  const subscribed = new Map(); // groupId -> subscription, for the current connection

  function subscribeAll() {
    if (!client || !client.connected) {
      return;
    }
    for (const groupId of state.groups.keys()) {
      const existing = subscribed.get(groupId);
      if (existing && existing.connection === client.webSocket) {
        continue;
      }
      const subscription = client.subscribe('/topic/groups.' + groupId, (frame) => onGroupFrame(groupId, frame),
        {'from-seq': String(state.seen.get(groupId) || 0)});
      subscription.connection = client.webSocket;
      subscribed.set(groupId, subscription);
    }
  }

  function subscribeTyping() {
    if (typingSubscription) {
      try {
        typingSubscription.unsubscribe();
      } catch (e) {
        // the connection it belonged to is gone
      }
      typingSubscription = null;
    }
    if (!client || !client.connected || !state.open) {
      return;
    }
    typingSubscription = client.subscribe('/topic/groups.' + state.open + '.typing', (frame) => {
      const notice = JSON.parse(frame.body);
      if (notice.userId !== state.userId) {
        state.typingUntil.set(notice.userId, Date.now() + 3000);
        renderTyping();
      }
    });
  }

  function renderTyping() {
    const now = Date.now();
    const who = [...state.typingUntil].filter(([, until]) => until > now).map(([user]) => user);
    $('typing').textContent = who.length ? who.join(', ') + (who.length === 1 ? ' is' : ' are') + ' typing…' : '';
  }

  function onGroupFrame(groupId, frame) {
    if (frame.headers['chorus-resync'] === 'true') {
      // too much was missed to replay: start over from the newest page
      state.seen.set(groupId, JSON.parse(frame.body).latestSeq);
      if (groupId === state.open) {
        openGroup(groupId);
      }
      loadGroups();
      return;
    }
    const seq = Number(frame.headers.seq);
    if (seq <= (state.seen.get(groupId) || 0)) {
      return;
    }
    state.seen.set(groupId, seq);
    const type = frame.headers['event-type'];
    const body = JSON.parse(frame.body);
    const g = state.groups.get(groupId);
    if (g) {
      g.lastSeq = seq;
    }
    if ((type === 'MemberLeft' || type === 'MemberRemoved') && body.userId === state.userId) {
      state.groups.delete(groupId);
      subscribed.delete(groupId);
      if (state.open === groupId) {
        closeRoom('You are no longer a member of ' + groupId);
      }
      renderGroups();
      return;
    }
    if (g && type === 'GroupRenamed') {
      g.name = body.name;
    } else if (g && type === 'TopicChanged') {
      g.topic = body.topic;
    } else if (g && (type === 'GroupArchived' || type === 'GroupUnarchived')) {
      g.archived = type === 'GroupArchived';
    }
    if (groupId !== state.open) {
      if (g && type === 'MessageSent' && body.senderId !== state.userId) {
        g.unread += 1;
      }
      renderGroups();
      return;
    }
    if (type === 'MessageSent') {
      renderMessage(body);
      state.typingUntil.delete(body.senderId);
      renderTyping();
    } else if (type === 'MessageEdited') {
      const m = state.messages.get(body.messageSeq);
      if (m) {
        renderMessage(Object.assign(m, {text: body.text, editedAt: body.editedAt}));
      }
    } else if (type === 'MessageDeleted') {
      const m = state.messages.get(body.messageSeq);
      if (m) {
        renderMessage(Object.assign(m, {text: null, deleted: true}));
      }
    } else if (type === 'MemberJoined') {
      renderEvent(seq, body.userId + ' joined');
    } else if (type === 'MemberLeft') {
      renderEvent(seq, body.userId + ' left');
    } else if (type === 'MemberRemoved') {
      renderEvent(seq, body.userId + ' was removed');
    } else if (type === 'GroupRenamed' || type === 'TopicChanged' || type === 'GroupArchived'
        || type === 'GroupUnarchived') {
      renderRoomState();
      renderEvent(seq, type === 'GroupRenamed' ? body.renamedBy + ' renamed the group to ' + body.name
        : type === 'TopicChanged' ? body.changedBy + ' set the topic: ' + body.topic
          : type === 'GroupArchived' ? body.archivedBy + ' archived the group'
            : body.unarchivedBy + ' unarchived the group');
    } else if (type === 'GroupCreated') {
      renderEvent(seq, body.ownerId + ' created the group');
    } else if (type === 'RoleChanged') {
      renderEvent(seq, body.userId + ' is now ' + String(body.role).toLowerCase());
    } else if (type === 'MemberUnbanned') {
      renderEvent(seq, body.userId + ' may join again');
    } else {
      renderEvent(seq, type);
    }
    markRead();
  }

  function onAck(ack) {
    if (ack.error) {
      if (ack.clientMessageId && state.outbox.has(ack.clientMessageId)) {
        markFailed(ack.clientMessageId, ack.error.detail);
      } else {
        showError(ack.error.detail);
      }
      return;
    }
    state.outbox.delete(ack.clientMessageId);
  }

  // a send the server refused, or that seems to break the connection, leaves the outbox: the person decides
  function markFailed(clientMessageId, reason) {
    const send = state.outbox.get(clientMessageId);
    state.outbox.delete(clientMessageId);
    const li = $('messages').querySelector('li[data-client="' + clientMessageId + '"]:not(.message)');
    if (!li || !send) {
      showError(reason);
      return;
    }
    li.className = 'failed';
    li.replaceChildren(document.createTextNode(state.userId + ': ' + send.text.slice(0, 200)
      + (send.text.length > 200 ? '…' : '') + ' — not sent: ' + reason + ' '),
      button('Retry', () => {
        send.closes = 0;
        state.outbox.set(clientMessageId, send);
        li.className = 'pending';
        li.textContent = state.userId + ': ' + send.text + ' (sending…)';
        publishSend(clientMessageId, send);
      }, 'Retry'),
      button('Discard', () => li.remove(), 'Discard'));
  }

  function publishSend(clientMessageId, send) {
    if (!client || !client.connected) {
      return;
    }
    send.publishedOn = state.connection;
    const body = {clientMessageId, text: send.text};
    if (send.replyToSeq) {
      body.replyToSeq = send.replyToSeq;
    }
    client.publish({destination: '/app/groups.' + send.groupId + '.messages', body: JSON.stringify(body)});
  }

  function codePoints(text) {
    return [...text].length;
  }

  function send(text) {
    if (state.maxText !== null && codePoints(text) > state.maxText) {
      $('compose-error').textContent = 'This message is ' + codePoints(text).toLocaleString()
        + ' characters long; the limit is ' + state.maxText.toLocaleString() + '. Shorten it to send.';
      return false;
    }
    $('compose-error').textContent = '';
    const groupId = state.open;
    const clientMessageId = crypto.randomUUID();
    const entry = {groupId, text, replyToSeq: state.replyTo ? state.replyTo.seq : null, publishedOn: 0, closes: 0};
    state.outbox.set(clientMessageId, entry);
    cancelReply();
    const li = document.createElement('li');
    li.className = 'pending';
    li.dataset.client = clientMessageId;
    li.dataset.seq = Number.MAX_SAFE_INTEGER;
    li.textContent = state.userId + ': ' + text + ' (sending…)';
    $('messages').appendChild(li);
    publishSend(clientMessageId, entry);
    return true;
  }

  function closeRoom(title) {
    state.open = null;
    state.messages.clear();
    $('room-title').textContent = title;
    $('leave').hidden = true;
    $('messages').replaceChildren();
    $('text').disabled = true;
    $('send').disabled = true;
    $('chat').classList.remove('in-room');
    subscribeTyping();
  }

  // the pending line goes once the message itself arrives with its seq
  new MutationObserver(() => {
    for (const li of $('messages').querySelectorAll('li.message')) {
      const pending = li.dataset.client
        && $('messages').querySelector('li:not(.message)[data-client="' + li.dataset.client + '"]');
      if (pending) {
        pending.remove();
      }
    }
  }).observe(document.getElementById('messages'), {childList: true});

  // ---- wiring

  $('signin-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      const userId = $('user').value.trim();
      state.token = (await api('POST', '/api/dev/tokens', {userId})).token;
      state.userId = userId;
      $('me').textContent = userId;
      $('signin-panel').hidden = true;
      $('chat').hidden = false;
      state.maxText = (await api('GET', '/api/limits')).maxTextLength;
      connect();
      await loadGroups();
    } catch (err) {
      showError(err.message);
    }
  });

  $('create-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      const groupId = $('new-group').value.trim();
      await api('POST', '/api/groups', {groupId, name: groupId, visibility: 'open'});
      $('new-group').value = '';
      await loadGroups();
      await openGroup(groupId);
    } catch (err) {
      showError(err.message);
    }
  });

  $('join-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      const groupId = $('join-id').value.trim();
      await api('POST', '/api/groups/' + encodeURIComponent(groupId) + '/join');
      $('join-id').value = '';
      await loadGroups();
      await openGroup(groupId);
    } catch (err) {
      showError(err.message);
    }
  });

  $('send-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const text = $('text').value.trim();
    if (text && state.open && send(text)) {
      $('text').value = '';
      showError('');
    }
  });

  // Enter sends, Shift+Enter starts a new line
  $('text').addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      $('send-form').requestSubmit();
    }
  });

  $('cancel-reply').addEventListener('click', cancelReply);
  $('back').addEventListener('click', () => $('chat').classList.remove('in-room'));

  $('leave').addEventListener('click', async () => {
    const groupId = state.open;
    if (!groupId || !window.confirm('Leave ' + groupId + '?')) {
      return;
    }
    try {
      await api('POST', '/api/groups/' + encodeURIComponent(groupId) + '/leave');
      state.groups.delete(groupId);
      subscribed.delete(groupId);
      closeRoom('Pick a group');
      renderGroups();
    } catch (err) {
      showError(err.message);
    }
  });

  $('text').addEventListener('input', () => {
    const now = Date.now();
    if (client && client.connected && state.open && now - state.lastTypingSent > 2000) {
      state.lastTypingSent = now;
      client.publish({destination: '/app/groups.' + state.open + '.typing', body: '{}'});
    }
  });

  $('older').addEventListener('click', loadOlder);
  setInterval(renderTyping, 1000);

  // for people and tests: drop the connection and come back, as a flaky network would
  window.chorus = {
    state,
    goOffline: async () => {
      state.online = false;
      subscribed.clear();
      await client.deactivate();
      setStatus('offline');
    },
    goOnline: () => {
      state.online = true;
      setStatus('reconnecting');
      connect();
    },
    dropConnection: () => client.forceDisconnect(),
  };
})();
