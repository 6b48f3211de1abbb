//! Every line the demo prints, in English (default) or in Chinese, in one
//! place, so both programs (and the demo's status line) say the same things
//! the same way.
//!
//! With [`Lang::Zh`] the rule is:
//!
//! - the **data lines** and the prompts the article shows are the original's
//!   Chinese, character for character ([`Transcript::wrote`],
//!   [`Transcript::read`], [`Transcript::record`], the closing lines);
//! - every line **this project adds** (waits, "has written (waited …)",
//!   warnings, errors, the interrupt message, the demo's hints) is in
//!   Chinese too;
//! - a line reporting a **library error** is the Chinese sentence saying what
//!   failed, then ` — ` and the library's own one-line report, which is
//!   English only: `错误: 共享内存: 不存在 — no shared-memory region at …`.

use std::path::Path;

use super::error::{ConsoleError, DemoError, WaitedFor};
use super::ServiceMsg;
use crate::{Failure, Object, ObjectError, ViewError};

/// The language of the transcript.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// English (default).
    #[default]
    En,
    /// The original article's Chinese lines, and this project's lines in Chinese.
    Zh,
}

impl Lang {
    /// `Zh` when `LC_ALL`, `LC_MESSAGES` or `LANG` (the first one set) starts
    /// with `zh`; `En` otherwise.
    pub fn from_env() -> Lang {
        let locale = ["LC_ALL", "LC_MESSAGES", "LANG"]
            .iter()
            .filter_map(|var| std::env::var(var).ok())
            .find(|value| !value.is_empty())
            .unwrap_or_default();
        Self::from_locale(&locale)
    }

    /// `Zh` for a locale such as `zh_CN.UTF-8`; `En` otherwise.
    pub fn from_locale(locale: &str) -> Lang {
        if locale.to_ascii_lowercase().starts_with("zh") {
            Lang::Zh
        } else {
            Lang::En
        }
    }
}

/// What the demo's status line asks the person to do next (`inspect --hint`).
/// The left tmux pane runs message-server, the right one state-server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Hint<'a> {
    /// No region yet: the message service starts first, at its name prompt.
    StartMessage {
        /// The name its prompt offers.
        default: &'a str,
    },
    /// The state service was started first and refused; the message service
    /// must start.
    MessageFirst,
    /// The message service is creating the region and writing 0..4.
    MessageSettingUp,
    /// The region is ready: the state service's turn, at its name prompt.
    StartState {
        /// The region's name.
        name: &'a str,
        /// The name the state service's prompt offers.
        default: &'a str,
    },
    /// The state service stopped with an error; its pane offers to start it again.
    RestartState,
    /// The state service writes under the mutex; the message service may
    /// press Enter now and will wait.
    StateWriting,
    /// The state service has written: the message service reads.
    ReadNow,
    /// Both have done their part: Enter in each pane exits.
    Done,
    /// Only the left pane's program (message-server) is still running, its
    /// part done.
    ExitLeft,
    /// Only the right pane's program (state-server) is still running.
    ExitRight,
    /// The message service has exited and the region is gone.
    Over,
    /// No region (and nothing tells whether it is not there yet or any more).
    NoRegion {
        /// The region's name.
        name: &'a str,
    },
    /// The region's files are there but no process uses it.
    NoLiveUsers,
    /// The region cannot be looked at.
    CannotInspect {
        /// The library's report.
        error: &'a str,
    },
}

/// The lines of the transcript in one language.
#[derive(Debug, Clone, Copy, Default)]
pub struct Transcript {
    /// The language used.
    pub lang: Lang,
}

impl Transcript {
    /// The transcript in `lang`.
    pub fn new(lang: Lang) -> Self {
        Transcript { lang }
    }

    /// The English transcript.
    pub fn english() -> Self {
        Transcript::new(Lang::En)
    }

    fn pick(&self, en: String, zh: String) -> String {
        match self.lang {
            Lang::En => en,
            Lang::Zh => zh,
        }
    }

    // ---- The original's lines -------------------------------------------

    /// The name prompt (without the trailing colon).
    pub fn name_prompt(&self, default: &str) -> String {
        self.pick(
            format!("Shared memory name (default: {default})"),
            format!("请输入共享内存公用名(默认:{default})"),
        )
    }

    /// `position {i}: wrote {value}`.
    pub fn wrote(&self, position: usize, value: i32) -> String {
        self.pick(
            format!("position {position}: wrote {value}"),
            format!("{position}位置写入流:{value}"),
        )
    }

    /// `position {i}: {value}`.
    pub fn read(&self, position: usize, value: i32) -> String {
        self.pick(
            format!("position {position}: {value}"),
            format!("{position}位置:{value}"),
        )
    }

    /// `{id}\tNowTime: {time}`.
    pub fn record(&self, msg: &ServiceMsg) -> String {
        self.pick(
            format!("{}\tNowTime: {}", msg.id, msg.time_text()),
            format!("{}\tNowTime:{}", msg.id, msg.time_text()),
        )
    }

    /// What the message server says before its Enter.
    pub fn start_state_then_enter(&self) -> &'static str {
        match self.lang {
            Lang::En => "Start the state service, then press Enter to read the shared memory",
            Lang::Zh => "启动状态服务,按【回车】读取共享内存数据",
        }
    }

    /// The message server's closing line.
    pub fn message_started(&self) -> &'static str {
        match self.lang {
            Lang::En => "Test: I am the IM message service, and I have started!!!",
            Lang::Zh => "测试: 我是 即时通讯 - 消息服务 我启动啦!!!",
        }
    }

    /// The state server's closing line.
    pub fn state_started(&self) -> &'static str {
        match self.lang {
            Lang::En => "Test: I am the IM state service, and I have started!!!",
            Lang::Zh => "测试: 我是 即时通讯 - 状态服务 我启动啦!!!",
        }
    }

    /// The final "press Enter to exit".
    pub fn press_enter_to_exit(&self) -> &'static str {
        match self.lang {
            Lang::En => "Press Enter to exit",
            Lang::Zh => "按【回车】退出",
        }
    }

    // ---- Waits ------------------------------------------------------------

    /// The message server, Enter pressed before the state server has started;
    /// `place` is how the state server finds the region (`--name testmap`,
    /// `--file ./im.dat`).
    pub fn waiting_for_state_to_start(&self, place: &str) -> String {
        self.pick(
            format!("Waiting for the state service to start (run: state-server {place})"),
            format!("正在等待状态服务启动(请运行: state-server {place})"),
        )
    }

    /// The message server, while the state server holds the mutex.
    pub fn waiting_for_state_to_finish(&self, holder_pid: Option<u32>) -> String {
        let pid = comma_pid(holder_pid);
        self.pick(
            format!("Waiting for the state service to finish writing (it holds the mutex{pid})"),
            format!("正在等待状态服务写完(它持有互斥体{pid})"),
        )
    }

    /// A wait for the mutex another process holds.
    pub fn waiting_for_mutex(&self, holder_pid: Option<u32>) -> String {
        match holder_pid {
            Some(pid) => self.pick(
                format!("Waiting for the message service to release the mutex (held by pid {pid})"),
                format!("正在等待消息服务释放互斥体(持有者 pid {pid})"),
            ),
            None => self.pick(
                "Waiting for the message service to release the mutex".to_owned(),
                "正在等待消息服务释放互斥体".to_owned(),
            ),
        }
    }

    /// A create or open that waits for a lock another process has held for
    /// a while: `what` and `path` as [`Failure::TimedOut`] names them.
    pub fn waiting_for_lock(&self, what: &str, path: &Path, holder: Option<u32>) -> String {
        let path = path.display();
        match holder {
            Some(pid) => self.pick(
                format!("Waiting for {what} on {path}, held by pid {pid}: another process is creating, opening or closing the same name"),
                format!("正在等待{}({path}), 持有者 pid {pid}: 另一个进程正在创建、打开或关闭同一名称", lock_in_zh(what)),
            ),
            None => self.pick(
                format!("Waiting for {what} on {path}: another process is creating, opening or closing the same name"),
                format!("正在等待{}({path}): 另一个进程正在创建、打开或关闭同一名称", lock_in_zh(what)),
            ),
        }
    }

    /// The end of a [`Transcript::waiting_for_lock`] wait.
    pub fn lock_is_free(&self) -> &'static str {
        match self.lang {
            Lang::En => "The lock is free",
            Lang::Zh => "锁已释放",
        }
    }

    /// The end of the message server's wait: the state server has written.
    pub fn state_has_written(&self) -> &'static str {
        match self.lang {
            Lang::En => "The state service has written",
            Lang::Zh => "状态服务已写完",
        }
    }

    /// The end of the message server's wait: the state server stopped early.
    pub fn state_has_stopped(&self) -> &'static str {
        match self.lang {
            Lang::En => "The state service has stopped",
            Lang::Zh => "状态服务已停止",
        }
    }

    /// The end of a wait for the mutex.
    pub fn got_mutex(&self) -> &'static str {
        match self.lang {
            Lang::En => "Got the mutex",
            Lang::Zh => "已获得互斥体",
        }
    }

    /// `outcome` with the time waited: `The state service has written (waited 2.1 s)`.
    pub fn waited(&self, outcome: &str, secs: f64) -> String {
        self.pick(
            format!("{outcome} (waited {secs:.1} s)"),
            format!("{outcome}(等待了 {secs:.1} 秒)"),
        )
    }

    // ---- Warnings -----------------------------------------------------------

    /// The `warning:` label.
    pub fn warning_label(&self) -> &'static str {
        match self.lang {
            Lang::En => "warning:",
            Lang::Zh => "警告:",
        }
    }

    /// The message server got the mutex from a state server that died holding it.
    pub fn state_died_holding_mutex(&self, pid: Option<u32>) -> String {
        let pid = space_pid(pid);
        self.pick(
            format!(
                "the state service{pid} died holding the mutex (abandoned mutex); showing what it wrote before it died"
            ),
            format!("状态服务{pid} 在持有互斥体时终止(abandoned mutex, 互斥体被遗弃); 下面显示它终止前写入的内容"),
        )
    }

    /// The message server got the mutex from a state server that stopped early.
    pub fn state_stopped_early(&self) -> &'static str {
        match self.lang {
            Lang::En => "the state service stopped before it finished; showing what it wrote",
            Lang::Zh => "状态服务没有写完就停止了; 下面显示它已写入的内容",
        }
    }

    /// A flag given on Windows that only Linux uses.
    pub fn flag_without_meaning_on_windows(&self, flag: &str) -> String {
        if flag == "--dotnet" {
            return self.pick(
                "--dotnet has no meaning on Windows (the region and the mutex are .NET's own there already); ignored"
                    .into(),
                "--dotnet 在 Windows 上没有意义(那里的共享内存和互斥体本来就是 .NET 的); 已忽略".into(),
            );
        }
        self.pick(
            format!(
                "{flag} has no meaning on Windows (a named region is a kernel object, not a file); ignored"
            ),
            format!("{flag} 在 Windows 上没有意义(命名区域是内核对象, 不是文件); 已忽略"),
        )
    }

    /// `--dotnet`: where the message server made .NET's mutex, and what a
    /// .NET program in another terminal needs to find it; `chosen` when
    /// `--dotnet-session` named the session.
    pub fn dotnet_mutex_here(&self, path: &std::path::Path, chosen: Option<u32>) -> String {
        let path = path.display();
        match chosen {
            Some(session) => self.pick(
                format!("The mutex is .NET's own, {path}: a .NET program started in login session {session} finds it."),
                format!("互斥体是 .NET 自己的 {path}: 在登录会话 {session} 中启动的 .NET 程序能找到它。"),
            ),
            None => self.pick(
                format!(
                    "The mutex is .NET's own, {path}: a .NET program finds it only from this login session. For one in another terminal, start this program with --dotnet-session SID, SID being that terminal's session (`ps -o sid= -p $$` there); state-server --dotnet finds it from anywhere."
                ),
                format!(
                    "互斥体是 .NET 自己的 {path}: .NET 程序只能在本登录会话中找到它。若它在另一个终端运行, 请用 --dotnet-session SID 启动本程序, SID 是那个终端的会话号(在那里运行 `ps -o sid= -p $$`); state-server --dotnet 在任何终端都能找到它。"
                ),
            ),
        }
    }

    /// `--dotnet`: the state server found .NET's mutex in another login session.
    pub fn dotnet_mutex_elsewhere(&self, path: &std::path::Path) -> String {
        let path = path.display();
        self.pick(
            format!("The .NET mutex is in another login session (another terminal): using {path}."),
            format!(".NET 互斥体在另一个登录会话(另一个终端)中: 使用 {path}。"),
        )
    }

    /// The state server met the original `IMServer_Message`.
    pub fn original_message_peer(&self) -> &'static str {
        match self.lang {
            Lang::En => "The message service wrote no handshake (bytes 40-51): it is the original IMServer_Message. Relying on the mutex alone, as the original does.",
            Lang::Zh => "消息服务没有写握手字节(40-51): 它是原版 IMServer_Message。像原版一样只依靠互斥体。",
        }
    }

    /// The message server met the original `IMServer_State`.
    pub fn original_state_peer(&self) -> &'static str {
        match self.lang {
            Lang::En => "The state service wrote without the handshake (bytes 40-51): it is the original IMServer_State. Relying on the mutex alone, as the original does; showing what it wrote.",
            Lang::Zh => "状态服务写入时没有握手字节(40-51): 它是原版 IMServer_State。像原版一样只依靠互斥体; 下面显示它写入的内容。",
        }
    }

    /// The state server got the mutex from a holder that died holding it.
    pub fn previous_holder_died(&self, pid: Option<u32>) -> String {
        let pid = space_pid(pid);
        self.pick(
            format!("the previous holder{pid} died holding the mutex (abandoned mutex)"),
            format!("互斥体的上一个持有者{pid} 在持有时终止(abandoned mutex, 互斥体被遗弃)"),
        )
    }

    // ---- Errors and signals ---------------------------------------------------

    /// The `error:` label.
    pub fn error_label(&self) -> &'static str {
        match self.lang {
            Lang::En => "error:",
            Lang::Zh => "错误:",
        }
    }

    /// What an interrupted program says before it closes whatever regions it
    /// has open and exits (at the name prompt it has none yet).
    pub fn interrupted(&self) -> &'static str {
        match self.lang {
            Lang::En => "interrupted: closing what this program has open and leaving",
            Lang::Zh => "已中断: 正在关闭本程序已打开的共享内存并退出",
        }
    }

    /// A name typed at the prompt was refused (the prompt asks again).
    pub fn invalid_name(&self, reason: &str) -> String {
        self.pick(reason.to_owned(), format!("名称无效 — {reason}"))
    }

    /// The one line reporting `error` (without the `error:` label).
    pub fn error(&self, error: &DemoError) -> String {
        if self.lang == Lang::En {
            // The English lines are the errors' own (`Display`).
            return error.to_string();
        }
        match error {
            DemoError::Console(e) => console_error_zh(e),
            DemoError::Object(e) => format!(
                "{}: {} — {}",
                object_zh(e.object()),
                object_error_zh(e),
                super::platform_flags::object_error_text(e)
            ),
            DemoError::View(e) => format!("视图: {} — {e}", view_error_zh(e)),
            DemoError::Io(e) => format!("共享内存流读写失败 — {e}"),
            DemoError::StartMessageServerFirst { name } => format!(
                "共享内存 `{name}` 上没有运行中的消息服务: 请先启动 message-server, 再用同一名称启动 state-server"
            ),
            DemoError::AlreadyServed { name, pid } => format!(
                "共享内存 `{name}` 已由 message-server (pid {pid}) 服务; 请换一个名称, 或先停止那个程序"
            ),
            DemoError::DotnetSessions { name, sessions } => format!(
                ".NET 互斥体 `{name}` 在多个登录会话中打开({}), 都不是本终端的: 请用 --dotnet-session SID 选择一个",
                super::error::session_list(sessions)
            ),
            DemoError::TimedOut { what, secs } => {
                let what = match what {
                    WaitedFor::Mutex => "互斥体",
                    WaitedFor::StateService => "状态服务写入",
                };
                format!("等待{what} {secs} 秒后放弃 (--timeout); 另一个程序还在运行吗?")
            }
        }
    }

    // ---- The demo's status line -----------------------------------------------

    /// The status line's text for `hint`.
    pub fn hint(&self, hint: Hint<'_>) -> String {
        match hint {
            Hint::StartMessage { default } => self.pick(
                format!("LEFT pane (message-server): press Enter at its name prompt (default {default}); it starts first."),
                format!("左窗格(消息服务): 在名称提示处按回车(默认 {default}); 它要先启动。"),
            ),
            Hint::MessageFirst => self.pick(
                "RIGHT pane: state-server needs the message service first. LEFT pane: press Enter at its name prompt."
                    .into(),
                "右窗格: 状态服务需要消息服务先启动。左窗格: 在名称提示处按回车。".into(),
            ),
            Hint::MessageSettingUp => self.pick(
                "LEFT pane: message-server is creating the region and writing 0..4 ...".into(),
                "左窗格: 消息服务正在创建共享内存并写入 0..4 ……".into(),
            ),
            Hint::StartState { name, default } if name == default => self.pick(
                format!("RIGHT pane (state-server): press Enter at its name prompt (default {default})."),
                format!("右窗格(状态服务): 在名称提示处按回车(默认 {default})。"),
            ),
            Hint::StartState { name, .. } => self.pick(
                format!("RIGHT pane (state-server): type {name} at its name prompt, then press Enter."),
                format!("右窗格(状态服务): 在名称提示处输入 {name}, 再按回车。"),
            ),
            Hint::RestartState => self.pick(
                "RIGHT pane: press Enter to start state-server again, then Enter at its name prompt.".into(),
                "右窗格: 按回车重新启动状态服务, 再在名称提示处按回车。".into(),
            ),
            Hint::StateWriting => self.pick(
                "RIGHT pane: state-server writes, holding the mutex. LEFT pane: press Enter to read; it waits for the mutex."
                    .into(),
                "右窗格: 状态服务正在写入, 持有互斥体。左窗格: 按回车读取; 它会等待互斥体。".into(),
            ),
            Hint::ReadNow => self.pick(
                "LEFT pane (message-server): press Enter to read the shared memory.".into(),
                "左窗格(消息服务): 按回车读取共享内存数据。".into(),
            ),
            Hint::Done => self.pick(
                "Done! Press Enter in each pane to exit; the last one out removes the region.".into(),
                "完成! 在每个窗格按回车退出; 最后退出的程序删除共享内存。".into(),
            ),
            Hint::ExitLeft => self.pick(
                "LEFT pane: press Enter to exit; the last one out removes the region.".into(),
                "左窗格: 按回车退出; 最后退出的程序删除共享内存。".into(),
            ),
            Hint::ExitRight => self.pick(
                "RIGHT pane: press Enter to exit when it asks; the last one out removes the region.".into(),
                "右窗格: 在提示时按回车退出; 最后退出的程序删除共享内存。".into(),
            ),
            Hint::Over => self.pick(
                "Demo over: the region is gone (the last program out removed it). Ctrl-b d leaves.".into(),
                "演示结束: 共享内存已删除(最后退出的程序删除了它)。Ctrl-b d 离开。".into(),
            ),
            Hint::NoRegion { name } => self.pick(
                format!("No region {name}: not created yet, or both programs have exited and removed it."),
                format!("没有共享内存 {name}: 还没有创建, 或两个程序都已退出并删除了它。"),
            ),
            Hint::NoLiveUsers => self.pick(
                "No live users: both programs have exited or died (their files stay until the region is next opened)."
                    .into(),
                "没有运行中的使用者: 两个程序都已退出或终止(文件保留到下次打开该共享内存)。".into(),
            ),
            Hint::CannotInspect { error } => self.pick(
                format!("Cannot inspect the region: {error}"),
                format!("无法查看共享内存 — {error}"),
            ),
        }
    }
}

fn console_error_zh(error: &ConsoleError) -> String {
    match error {
        ConsoleError::InvalidName(e) => format!("名称无效 — {}", super::error::name_error_text(e)),
        ConsoleError::Interrupted => "在提示处被中断; 没有做任何更改".to_owned(),
        ConsoleError::Io(e) => format!("无法读取键盘输入 — {e}"),
    }
}

/// The object an error is about, in Chinese.
fn object_zh(object: Object) -> &'static str {
    match object {
        Object::Mutex => "互斥体",
        _ => "共享内存",
    }
}

/// What went wrong, in Chinese, for the common cases (the English detail follows).
fn object_error_zh(error: &ObjectError) -> &'static str {
    match (error.object(), error.failure()) {
        (_, Failure::NotFound { .. }) => "不存在(没有运行中的进程创建它)",
        (_, Failure::NoSuchFile { .. }) => "文件不存在",
        (_, Failure::AlreadyExists { .. }) => "已存在且正在使用",
        (Object::Mutex, Failure::NotOurs { .. }) => "那里的文件不是本库的锁文件, 未作改动",
        (_, Failure::NotOurs { .. }) => "那里的文件不是本库的共享内存, 未作改动",
        (_, Failure::Removed { .. }) => "它的文件在使用中被另一个程序删除了",
        (_, Failure::NoSpace { .. }) => "空间不足",
        (_, Failure::PermissionDenied { .. }) => "没有权限",
        (_, Failure::NotYours { .. }) => "文件属于另一个用户, 未读写也未加锁",
        (_, Failure::TimedOut { .. }) => "等待超时",
        (_, Failure::Interrupted { .. }) => "等待时被中断",
        (_, Failure::BadSize { .. }) => "大小不可用",
        (_, Failure::AlreadyOwned { .. }) => "本进程已持有它",
        (Object::Mutex, _) => "无法创建、打开或获取",
        _ => "无法创建或打开",
    }
}

fn view_error_zh(error: &ViewError) -> &'static str {
    match error {
        ViewError::ReadOnly => "只读, 不能写入",
        ViewError::Truncated => "区域的文件被截短, 字节已丢失",
        ViewError::Misaligned { .. } => "偏移未对齐",
        _ => "超出范围",
    }
}

/// ", pid N" when the pid is known (Windows does not tell who holds a mutex).
/// The lock a [`Failure::TimedOut`] names, in Chinese (the library's own
/// words when it is none of these).
fn lock_in_zh(what: &str) -> String {
    match what {
        "the setup lock" => "设置锁".to_owned(),
        "the presence lock" => "在用锁".to_owned(),
        ".NET's creation lock" => ".NET 的创建锁".to_owned(),
        other => other.to_owned(),
    }
}

fn comma_pid(pid: Option<u32>) -> String {
    pid.map(|pid| format!(", pid {pid}")).unwrap_or_default()
}

/// " (pid N)" when the pid is known.
fn space_pid(pid: Option<u32>) -> String {
    pid.map(|pid| format!(" (pid {pid})")).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    #[test]
    fn english_lines_match_the_contract() {
        let t = Transcript::new(Lang::En);
        assert_eq!(t.wrote(3, 3), "position 3: wrote 3");
        assert_eq!(t.read(9, 9), "position 9: 9");
        let msg = ServiceMsg::new(64, 638_664_392_280_000_000);
        assert_eq!(t.record(&msg), "64\tNowTime: 2024-11-05 21:33:48");
    }

    #[test]
    fn chinese_lines_match_the_original() {
        let t = Transcript::new(Lang::Zh);
        assert_eq!(t.name_prompt("testmap"), "请输入共享内存公用名(默认:testmap)");
        assert_eq!(t.wrote(0, 0), "0位置写入流:0");
        assert_eq!(t.read(4, 4), "4位置:4");
        let msg = ServiceMsg::new(64, 638_664_392_280_000_000);
        assert_eq!(t.record(&msg), "64\tNowTime:2024-11-05 21:33:48");
        assert_eq!(t.state_started(), "测试: 我是 即时通讯 - 状态服务 我启动啦!!!");
        assert_eq!(t.message_started(), "测试: 我是 即时通讯 - 消息服务 我启动啦!!!");
    }

    #[test]
    fn chinese_locales_select_chinese() {
        assert_eq!(Lang::from_locale("zh_CN.UTF-8"), Lang::Zh);
        assert_eq!(Lang::from_locale("ZH_tw"), Lang::Zh);
        assert_eq!(Lang::from_locale("en_US.UTF-8"), Lang::En);
        assert_eq!(Lang::from_locale(""), Lang::En);
    }

    #[test]
    fn the_projects_own_lines_are_chinese_in_chinese() {
        let t = Transcript::new(Lang::Zh);
        assert_eq!(
            t.waited(t.state_has_written(), 2.04),
            "状态服务已写完(等待了 2.0 秒)"
        );
        assert!(t
            .waiting_for_state_to_start("--name testmap")
            .starts_with("正在等待状态服务启动"));
        assert_eq!(t.warning_label(), "警告:");
        assert_eq!(t.error_label(), "错误:");
        assert!(t.interrupted().starts_with("已中断"));
        assert!(t.hint(Hint::ReadNow).starts_with("左窗格"));
    }

    #[test]
    fn a_library_error_in_chinese_keeps_the_english_detail() {
        let error = DemoError::Object(ObjectError::region(Failure::NotFound {
            path: PathBuf::from("/dev/shm/x"),
        }));
        let english = Transcript::english().error(&error);
        assert_eq!(english, error.to_string());
        assert_eq!(
            Transcript::new(Lang::Zh).error(&error),
            format!("共享内存: 不存在(没有运行中的进程创建它) — {english}")
        );
    }

    #[test]
    fn the_demos_own_errors_are_wholly_chinese() {
        let error = DemoError::StartMessageServerFirst {
            name: "testmap".into(),
        };
        let zh = Transcript::new(Lang::Zh).error(&error);
        assert!(zh.contains("请先启动 message-server"), "{zh}");
        assert!(!zh.contains("start message-server first"), "{zh}");
        assert!(error.to_string().contains("start message-server first"));
    }
}
