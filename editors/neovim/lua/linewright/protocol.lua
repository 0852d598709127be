-- The server's command ids, custom notifications and languages, read from the contract
-- that `python -m linewright.contract` generates into editors/protocol.json: three folders
-- up from this file (editors/neovim/lua/linewright/). Nothing here is a copy of it.

local M = {}

--- editors/protocol.json, found from this file's own path.
function M.path()
  local here = debug.getinfo(1, 'S').source:sub(2)
  local plugin = vim.fs.dirname(vim.fs.dirname(vim.fs.dirname(vim.fs.normalize(here))))
  return vim.fs.joinpath(vim.fs.dirname(plugin), 'protocol.json')
end

local loaded

--- The decoded contract; raises with what to do when the file is missing or unreadable.
function M.load()
  if loaded then
    return loaded
  end
  local path = M.path()
  local file = io.open(path, 'r')
  if not file then
    error(('Linewright: %s not found; the plugin needs the whole editors/ folder of the '
      .. 'Linewright checkout (run `python -m linewright.contract editors/protocol.json`)'):format(path), 0)
  end
  local ok, decoded = pcall(vim.json.decode, file:read('*a'))
  file:close()
  if not ok or type(decoded) ~= 'table' or type(decoded.commands) ~= 'table' then
    error(('Linewright: %s is not the server contract: %s'):format(path, tostring(decoded)), 0)
  end
  loaded = decoded
  return loaded
end

--- `id` when the server answers that command; raises otherwise (a stale contract).
function M.command(id)
  assert(M.load().commands[id], ('Linewright: %s is not a server command'):format(id))
  return id
end

--- `method` when the contract declares that notification; raises otherwise.
function M.notification(method)
  assert(M.load().notifications[method], ('Linewright: %s is not a Linewright notification'):format(method))
  return method
end

return M
