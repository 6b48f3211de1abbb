//! Every line the two programs print, in English (default) or in the original
//! article's Chinese, so both programs say the same things the same way.

use super::ServiceMsg;

/// The language of the transcript.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// English (default).
    #[default]
    En,
    /// The original article's Chinese lines, character for character.
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

    /// The name prompt (without the trailing colon).
    pub fn name_prompt(&self, default: &str) -> String {
        match self.lang {
            Lang::En => format!("Shared memory name (default: {default})"),
            Lang::Zh => format!("请输入共享内存公用名(默认:{default})"),
        }
    }

    /// `position {i}: wrote {value}`.
    pub fn wrote(&self, position: usize, value: i32) -> String {
        match self.lang {
            Lang::En => format!("position {position}: wrote {value}"),
            Lang::Zh => format!("{position}位置写入流:{value}"),
        }
    }

    /// `position {i}: {value}`.
    pub fn read(&self, position: usize, value: i32) -> String {
        match self.lang {
            Lang::En => format!("position {position}: {value}"),
            Lang::Zh => format!("{position}位置:{value}"),
        }
    }

    /// `{id}\tNowTime: {time}`.
    pub fn record(&self, msg: &ServiceMsg) -> String {
        match self.lang {
            Lang::En => format!("{}\tNowTime: {}", msg.id, msg.time_text()),
            Lang::Zh => format!("{}\tNowTime:{}", msg.id, msg.time_text()),
        }
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
}

#[cfg(test)]
mod tests {
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
}
