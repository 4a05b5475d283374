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
    outbox: new Map(),      // clientMessageId -> {groupId, text}: sent, not yet acknowledged
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

  // ---- groups

  async function loadGroups() {
    const groups = await api('GET', '/api/me/groups');
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
    const g = state.groups.get(groupId);
    $('room-title').textContent = g ? g.name : groupId;
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

  function renderMessage(m) {
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
    const sender = document.createElement('span');
    sender.className = 'sender';
    sender.textContent = m.senderId;
    const text = document.createElement('span');
    text.className = 'text';
    text.textContent = m.deleted ? '(deleted)' : m.text + (m.editedAt ? ' (edited)' : '');
    li.append(sender, text);
    list.scrollTop = list.scrollHeight;
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
        setStatus('live');
        client.subscribe('/user/queue/acks', (frame) => onAck(JSON.parse(frame.body)));
        client.subscribe('/user/queue/errors', (frame) => showError(JSON.parse(frame.body).error));
        subscribeAll();
        subscribeTyping();
        // sends made while away go out again: the same clientMessageId makes a repeat harmless
        for (const [clientMessageId, send] of state.outbox) {
          publishSend(send.groupId, clientMessageId, send.text);
        }
      },
      onWebSocketClose: () => setStatus(state.online ? 'reconnecting' : 'offline'),
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
        state.open = null;
        $('room-title').textContent = 'You are no longer a member of ' + groupId;
      }
      renderGroups();
      return;
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
      const li = $('messages').querySelector('li[data-seq="' + body.messageSeq + '"] .text');
      if (li) {
        li.textContent = body.text + ' (edited)';
      }
    } else if (type === 'MessageDeleted') {
      const li = $('messages').querySelector('li[data-seq="' + body.messageSeq + '"] .text');
      if (li) {
        li.textContent = '(deleted)';
      }
    } else if (type === 'MemberJoined') {
      renderEvent(seq, body.userId + ' joined');
    } else if (type === 'MemberLeft') {
      renderEvent(seq, body.userId + ' left');
    } else if (type === 'MemberRemoved') {
      renderEvent(seq, body.userId + ' was removed');
    } else {
      renderEvent(seq, type);
    }
    markRead();
  }

  function onAck(ack) {
    if (ack.error) {
      if (ack.clientMessageId) {
        state.outbox.delete(ack.clientMessageId);
        const pending = $('messages').querySelector('li.pending[data-client="' + ack.clientMessageId + '"]');
        if (pending) {
          pending.remove();
        }
      }
      showError(ack.error.detail);
      return;
    }
    state.outbox.delete(ack.clientMessageId);
  }

  function publishSend(groupId, clientMessageId, text) {
    if (!client || !client.connected) {
      return;
    }
    client.publish({
      destination: '/app/groups.' + groupId + '.messages',
      body: JSON.stringify({clientMessageId, text}),
    });
  }

  function send(text) {
    const groupId = state.open;
    const clientMessageId = crypto.randomUUID();
    state.outbox.set(clientMessageId, {groupId, text});
    const li = document.createElement('li');
    li.className = 'pending';
    li.dataset.client = clientMessageId;
    li.dataset.seq = Number.MAX_SAFE_INTEGER;
    li.textContent = state.userId + ': ' + text + ' (sending…)';
    $('messages').appendChild(li);
    publishSend(groupId, clientMessageId, text);
  }

  // the pending line goes once the message itself arrives with its seq
  new MutationObserver(() => {
    for (const li of $('messages').querySelectorAll('li.message')) {
      const pending = li.dataset.client
        && $('messages').querySelector('li.pending[data-client="' + li.dataset.client + '"]');
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
    if (text && state.open) {
      send(text);
      $('text').value = '';
      showError('');
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
