-- What Linewright is doing, for the statusline: off, starting, loading the model, busy
-- (a test generation or a flag scan, from the server's `$/progress`), error (the model
-- backend failed; cleared by the next suggestion), ready.
--
--   vim.o.statusline = '%f %= %{v:lua.require("linewright").status()} '
--
-- `vim.lsp.status()` shows the same progress messages for every client.

local M = {}

-- client id -> { progress = { [token] = value }, error = message|nil }
M.clients = {}

local function of(client_id)
  M.clients[client_id] = M.clients[client_id] or { progress = {} }
  return M.clients[client_id]
end

--- Whether a `window/showMessage` says the model backend failed. The server words those
--- warnings "Linewright: [line flags: ]<backend> failed ..." (rate-limited, once a minute).
function M.is_backend_failure(kind, message)
  if kind ~= vim.lsp.protocol.MessageType.Warning or type(message) ~= 'string' then
    return false
  end
  local rest = message:match('^Linewright: (.*)$')
  if not rest then
    return false
  end
  rest = rest:gsub('^line flags: ', '')
  return rest:match('^embedded llama%.cpp failed') ~= nil or rest:match('^%a+ at %S+ failed') ~= nil
end

--- `window/showMessage` handler: Neovim's, plus the error state.
function M.show_message(err, result, ctx, config)
  if result and M.is_backend_failure(result.type, result.message) then
    of(ctx.client_id).error = result.message
    vim.cmd.redrawstatus()
  end
  return vim.lsp.handlers['window/showMessage'](err, result, ctx, config)
end

--- A suggestion arrived: the backend works (again).
function M.answered(client_id)
  local state = of(client_id)
  if state.error then
    state.error = nil
    vim.schedule(function() vim.cmd.redrawstatus() end)
  end
end

local function on_progress(args)
  local data = args.data or {}
  local params = data.params or {}
  local value, token = params.value, params.token
  if type(value) ~= 'table' or type(token) ~= 'string' then
    return
  end
  local state = M.clients[data.client_id]
  if not state then
    return
  end
  if value.kind == 'end' then
    state.progress[token] = nil
  else
    local previous = state.progress[token] or {}
    state.progress[token] = vim.tbl_extend('force', previous, value)
  end
  vim.cmd.redrawstatus()
end

function M.attach(client)
  of(client.id)
  vim.api.nvim_create_autocmd('LspProgress', {
    group = vim.api.nvim_create_augroup('linewright-status', { clear = true }),
    callback = on_progress,
  })
end

function M.detach(client_id)
  M.clients[client_id] = nil
end

local function describe(value)
  local title = (value.title or ''):gsub('^Linewright: ', '')
  local percentage = value.percentage and (' %d%%'):format(value.percentage) or ''
  return title .. percentage
end

--- The words the statusline shows for `client` (nil: not attached) in a buffer where
--- suggestions are `enabled`.
function M.text(client, enabled)
  if not client then
    return 'LW: off'
  end
  local state = M.clients[client.id] or { progress = {} }
  local _, value = next(state.progress)
  if value then
    local loading = (value.title or ''):match('model') ~= nil
    return (loading and 'LW: loading ' or 'LW: busy ') .. describe(value)
  end
  if state.error then
    return 'LW: error'
  end
  if not client.initialized then
    return 'LW: starting'
  end
  return enabled and 'LW: ready' or 'LW: off'
end

return M
